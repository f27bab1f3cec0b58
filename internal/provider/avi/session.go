// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package avi

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/vmware/alb-sdk/go/clients"
	"github.com/vmware/alb-sdk/go/session"
)

// How calls reach the controller.
//
// The SDK takes no context: its calls (Get, Post, GetCollectionRaw, ...) build
// their requests with http.NewRequest and hand them to the session's
// HttpClient (session.SetClient). A session is therefore driven by one call at
// a time: the call holds the session, records its context in the session, and
// the session's HttpClient (doer) sends every request the SDK makes during the
// call with that context, the login the SDK makes on its own after a 401
// included. Cancelling the context or closing the provider cancels the request
// on the wire. One call at a time per session is also what the SDK needs: it
// reads the session cookie and CSRF token without a lock while a re-login
// rewrites them. Each tenant has a pool of up to Config.Concurrency sessions,
// opened as concurrent calls need them: that many calls of a tenant run at
// once (Apply's writes), and a call takes the session used last, so that
// calls one at a time keep to one session and one login.
//
// Logins go through one gate (Provider.login) whatever the session: one at a
// time on the wire, and none while the controller's last refusal of the
// credentials is younger than Config.LoginRetryInterval. A refused login is
// exactly one request; the SDK's own retries (a re-login after a 401) meet the
// gate too.

// logoutTimeout bounds the logouts Close makes to release the sessions.
const logoutTimeout = 2 * time.Second

// pool holds the sessions of one tenant.
type pool struct {
	// slots bounds the calls in flight: a call holds a slot while it holds
	// a session. Its capacity is Config.Concurrency.
	slots chan struct{}

	mu   sync.Mutex
	free []*conn // sessions no call holds; the one used last at the end
	all  []*conn // every session opened
}

// conn is one session of a tenant, held by one call at a time.
type conn struct {
	pool *pool
	// client is nil until logged in. Guarded by holding the conn.
	client *clients.AviClient
	// ctx is the context of the call holding the conn.
	ctx context.Context
}

// doer is a session's HttpClient: it sends the SDK's requests with the
// context of the call that made them.
type doer struct {
	p *Provider
	c *conn
}

func (d doer) Do(req *http.Request) (*http.Response, error) {
	ctx := d.c.ctx
	if ctx == nil {
		ctx = d.p.done
	}
	req = req.WithContext(ctx)
	switch path := strings.TrimRight(req.URL.Path, "/"); {
	case req.Method == http.MethodPost && path == "/login":
		return d.p.doLogin(req)
	case path == "/logout":
		// The SDK's Logout never closes the answer's body, which would keep
		// its connection busy for good.
		resp, err := d.p.http.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			_ = resp.Body.Close()
			resp.Body = http.NoBody
		}
		return resp, err
	}
	return d.p.http.Do(req)
}

// doLogin sends a login through the gate.
func (p *Provider) doLogin(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	select {
	case p.login <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-p.login }()
	if ce := p.refusal(); ce != nil {
		return nil, ce
	}
	resp, err := p.http.Do(req)
	if err != nil {
		return nil, err
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		_ = resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		p.refuse(loginRefusal(body))
	case resp.StatusCode < 300:
		p.mu.Lock()
		p.refused = nil
		p.mu.Unlock()
	}
	return resp, nil
}

// loginRefusal is the controller's message in a refused login's body.
func loginRefusal(body []byte) string {
	var m map[string]any
	if json.Unmarshal(body, &m) == nil {
		for _, k := range []string{"error", "detail", "message"} {
			if s, ok := m[k].(string); ok && s != "" {
				return s
			}
		}
	}
	if s := strings.TrimSpace(string(body)); s != "" && len(s) < 200 {
		return s
	}
	return "401 " + http.StatusText(http.StatusUnauthorized)
}

// refuse records the controller's refusal of the credentials.
func (p *Provider) refuse(reason string) {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refused = &credentialsError{host: p.cfg.Host, user: p.cfg.Username, reason: reason,
		at: now, until: now.Add(p.cfg.LoginRetryInterval),
		err: &Error{Status: http.StatusUnauthorized, Message: reason, Method: http.MethodPost, login: true,
			Op: fmt.Sprintf("logging in to %s as %q", p.cfg.Host, p.cfg.Username)}}
}

// refusal returns the refusal of the credentials in force, or nil: none, or
// older than the retry interval.
func (p *Provider) refusal() *credentialsError {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.refused == nil || !time.Now().Before(p.refused.until) {
		return nil
	}
	ce := *p.refused
	return &ce
}

// acquire holds a session of the tenant for a call with ctx, logging in when
// it has none; release it with p.release.
func (p *Provider) acquire(ctx context.Context, tenant string) (*conn, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errClosed
	}
	pl := p.conns[tenant]
	if pl == nil {
		pl = &pool{slots: make(chan struct{}, p.cfg.Concurrency)}
		p.conns[tenant] = pl
	}
	p.mu.Unlock()
	select {
	case pl.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if err := ctx.Err(); err != nil {
		<-pl.slots
		return nil, err
	}
	c := pl.take()
	c.ctx = ctx
	if c.client != nil {
		return c, nil
	}
	if err := p.logIn(c, tenant); err != nil {
		p.release(c)
		return nil, err
	}
	return c, nil
}

// take returns the session used last that no call holds, or a new one (not
// logged in). The caller holds a slot, so there are never more sessions than
// slots.
func (pl *pool) take() *conn {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if n := len(pl.free); n > 0 {
		c := pl.free[n-1]
		pl.free = pl.free[:n-1]
		return c
	}
	c := &conn{pool: pl}
	pl.all = append(pl.all, c)
	return c
}

func (p *Provider) release(c *conn) {
	c.ctx = nil
	pl := c.pool
	pl.mu.Lock()
	pl.free = append(pl.free, c)
	pl.mu.Unlock()
	<-pl.slots
}

// logIn opens the session of c, which the caller holds. The SDK logs in with
// its default version, then the configured one applies, as in AMKO.
func (p *Provider) logIn(c *conn, tenant string) error {
	opts := []func(*session.AviSession) error{
		session.SetPassword(p.cfg.Password),
		session.SetTenant(tenant),
		session.SetTimeout(p.cfg.Timeout),
		session.DisableControllerStatusCheckOnFailure(true),
		session.SetUserHeader(map[string]string{"X-Avi-UserAgent": "AMKO"}),
		session.SetClient(doer{p: p, c: c}),
	}
	client, err := clients.NewAviClient(p.cfg.Host, p.cfg.Username, opts...)
	if err != nil {
		return err
	}
	if p.cfg.Version != "" {
		if err := session.SetVersion(p.cfg.Version)(client.AviSession); err != nil {
			return err
		}
	}
	c.client = client
	return nil
}

// call runs fn on the tenant's session with ctx: every request fn makes is
// cancelled when ctx is or the provider closes. op names the call in errors.
// A call the controller answered 401 (or 419) for an expired session is
// retried once: the SDK has logged in anew meanwhile.
func (p *Provider) call(ctx context.Context, tenant, op string, fn func(*session.AviSession) error) error {
	if ce := p.refusal(); ce != nil {
		return ce
	}
	if ue := p.distrustedNow(); ue != nil {
		return ue
	}
	if err := ctx.Err(); err != nil {
		return p.classify(ctx, op, err)
	}
	callCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(p.done, cancel)
	defer stop()

	c, err := p.acquire(callCtx, tenant)
	if err != nil {
		return p.classify(ctx, fmt.Sprintf("logging in to %s as %q for tenant %s", p.cfg.Host, p.cfg.Username, tenant), err)
	}
	defer p.release(c)
	for attempt := 0; ; attempt++ {
		err = fn(c.client.AviSession)
		if err == nil {
			return nil
		}
		var ae session.AviError
		if attempt == 0 && errors.As(err, &ae) && (ae.HttpStatusCode == http.StatusUnauthorized || ae.HttpStatusCode == 419) &&
			!isLoginURL(ae.Url) && p.refusal() == nil && callCtx.Err() == nil {
			continue
		}
		return p.classify(ctx, op, err)
	}
}

// newHTTPClient is the client every session of a provider sends through,
// over TLS as tlsConfig says (see tls.go: never an unchecked certificate).
func newHTTPClient(timeout time.Duration, tlsConfig *tls.Config) (*http.Client, *http.Transport) {
	dial := min(timeout, 30*time.Second)
	t := &http.Transport{
		TLSClientConfig:       tlsConfig,
		DialContext:           (&net.Dialer{Timeout: dial, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   dial,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{Transport: t, Timeout: timeout}, t
}

// Close cancels the calls in flight, logs the sessions out (for at most a
// couple of seconds: controllers limit a user's sessions) and closes the
// connections. Calls after Close fail with an error of class ErrUnavailable.
func (p *Provider) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	conns := p.conns
	p.conns = map[string]*pool{}
	p.mu.Unlock()
	p.cancel()

	ctx, cancel := context.WithTimeout(context.Background(), logoutTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, pl := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Every slot, so that no call holds a session: the calls in
			// flight end, cancelled. A call that outlives the timeout keeps
			// its session, which is not logged out.
			held := 0
			defer func() {
				for range held {
					<-pl.slots
				}
			}()
			for held < cap(pl.slots) {
				select {
				case pl.slots <- struct{}{}:
					held++
					continue
				case <-ctx.Done():
				}
				break
			}
			pl.mu.Lock()
			free := pl.free
			pl.free = nil
			pl.mu.Unlock()
			var out sync.WaitGroup
			for _, c := range free {
				if c.client == nil {
					continue
				}
				out.Add(1)
				go func() {
					defer out.Done()
					c.ctx = ctx
					_ = c.client.AviSession.Logout()
					c.client, c.ctx = nil, nil
				}()
			}
			out.Wait()
		}()
	}
	wg.Wait()
	p.transport.CloseIdleConnections()
	return nil
}
