// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package avi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vmware/alb-sdk/go/session"

	"github.com/amko-project/amko/internal/provider"
)

// Substrings of the controller's refusals that change what amko does
// (amko.md §2.12, avi-api.md §3.3).
const (
	msgNotLeader   = "Config Operations can be done ONLY on leader"
	msgMaintenance = "GSLB system is in maintenance mode."
	msgInvalidCred = "Invalid credentials"
	// A service write naming a domain another service holds.
	msgDomainConflict = "domain name conflicting with existing domain name"
)

// Error is a refusal by the controller: it answered with an error status. It
// matches the provider's error classes with errors.Is.
type Error struct {
	Status  int
	Message string
	Op      string
	// Method is the HTTP method of the refused request ("" when unknown).
	Method string
	// login is set when the refused request was the login.
	login bool
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: controller answered %d: %s", e.Op, e.Status, e.Message)
}

// NotLeader reports whether the controller refused because it is not the GSLB leader.
func (e *Error) NotLeader() bool { return strings.Contains(e.Message, msgNotLeader) }

// Maintenance reports whether the controller refused because GSLB is in maintenance mode.
func (e *Error) Maintenance() bool { return strings.Contains(e.Message, msgMaintenance) }

// BadCredentials reports whether the login was refused: a 401 to the login, or
// any 401 that says the credentials are invalid. (A 401 of an expired session
// is not: the SDK logs in again, and the call is retried once.)
func (e *Error) BadCredentials() bool {
	return e.Status == http.StatusUnauthorized && (e.login || strings.Contains(e.Message, msgInvalidCred))
}

// Is maps the refusal to the provider's error classes:
//   - 401 to the login or "Invalid credentials": provider.ErrBadCredentials;
//   - "ONLY on leader": provider.ErrNotLeader;
//   - "maintenance mode": provider.ErrMaintenance;
//   - 409, 412, and 404 to an update or delete: provider.ErrConflict;
//   - 5xx, 408, 429, and a 401 of a session that expired again right after the
//     SDK logged in anew: provider.ErrUnavailable.
func (e *Error) Is(target error) bool {
	switch target {
	case provider.ErrBadCredentials:
		return e.BadCredentials()
	case provider.ErrNotLeader:
		return e.NotLeader()
	case provider.ErrMaintenance:
		return e.Maintenance()
	case provider.ErrConflict:
		switch e.Status {
		case http.StatusConflict, http.StatusPreconditionFailed:
			return true
		case http.StatusNotFound:
			return e.Method == http.MethodPut || e.Method == http.MethodPatch || e.Method == http.MethodDelete
		}
	case provider.ErrUnavailable:
		return e.Status >= 500 || e.Status == http.StatusRequestTimeout || e.Status == http.StatusTooManyRequests ||
			(e.Status == http.StatusUnauthorized && !e.BadCredentials())
	}
	return false
}

// StatusOf returns the HTTP status of a controller refusal, or 0.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// wrap turns the SDK's errors into *Error where the controller answered.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var ae session.AviError
	if errors.As(err, &ae) && ae.HttpStatusCode >= 300 {
		msg := ""
		if ae.Message != nil {
			msg = *ae.Message
		}
		return &Error{Status: ae.HttpStatusCode, Message: msg, Op: op, Method: ae.Verb, login: isLoginURL(ae.Url)}
	}
	return fmt.Errorf("%s: %w", op, err)
}

func isLoginURL(u string) bool {
	if parsed, err := url.Parse(u); err == nil {
		u = parsed.Path
	}
	return strings.TrimRight(u, "/") == "/login"
}

// unavailableError is a failure to get an answer of the API: the connection
// failed or was dropped, the request timed out, or the body was not the API's.
type unavailableError struct {
	op  string
	err error
}

func (e *unavailableError) Error() string { return e.op + ": " + e.err.Error() }

func (e *unavailableError) Unwrap() []error { return []error{provider.ErrUnavailable, e.err} }

// transportFailure reports whether err is the SDK passing on a failure to
// exchange a request and a JSON answer with the controller: the HTTP client's
// errors (connection refused or reset, timeouts, EOF), an unreadable body, or
// a body that is not JSON of the API.
func transportFailure(err error) bool {
	var (
		ue  *url.Error
		ne  net.Error
		se  *json.SyntaxError
		te  *json.UnmarshalTypeError
		ae  session.AviError
		ope *net.OpError
	)
	switch {
	case errors.As(err, &ue), errors.As(err, &ne), errors.As(err, &ope),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.As(err, &se), errors.As(err, &te):
		return true
	case errors.As(err, &ae):
		// No status, or a 2xx whose body could not be read ("Response body
		// read failed"), or the SDK giving up ("tried N times and failed").
		return ae.HttpStatusCode < 300
	}
	return false
}

// credentialsError is the controller's refusal of the credentials, returned
// without network I/O by every call until the retry interval has passed.
type credentialsError struct {
	host, user string
	// reason is the controller's message ("Invalid credentials").
	reason string
	at     time.Time
	until  time.Time
	// err is the refusal as this call got it, if it did.
	err error
}

func (e *credentialsError) Error() string {
	return fmt.Sprintf("avi: the controller %s refused the credentials of user %q: %s (at %s); no login is tried before %s or until the credentials change",
		e.host, e.user, e.reason, e.at.Format(time.TimeOnly), e.until.Format(time.TimeOnly))
}

func (e *credentialsError) Is(target error) bool { return target == provider.ErrBadCredentials }

func (e *credentialsError) Unwrap() error { return e.err }

// errClosed is returned by the calls of a closed provider.
var errClosed = fmt.Errorf("the provider is closed: %w", provider.ErrUnavailable)

// classify turns what an SDK call returned into the error the provider
// returns: the caller's cancellation, the refusal of the credentials, an
// untrusted certificate, a controller refusal (*Error) or the controller's
// unavailability.
func (p *Provider) classify(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if ce := (*credentialsError)(nil); errors.As(err, &ce) {
		return ce
	}
	where := "avi: " + op
	if !strings.Contains(op, p.cfg.Host) {
		where += " on " + p.cfg.Host
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		if errors.Is(ctxErr, context.DeadlineExceeded) {
			return fmt.Errorf("%s: %w (%w)", where, ctxErr, provider.ErrUnavailable)
		}
		return fmt.Errorf("%s: %w", where, ctxErr)
	}
	if p.done.Err() != nil {
		return fmt.Errorf("%s: %w", where, errClosed)
	}
	if ue := p.trust.untrusted(err); ue != nil {
		p.distrust(ue)
		return ue
	}
	if transportFailure(err) {
		return &unavailableError{op: where, err: err}
	}
	werr := wrap(op, err)
	if e := (*Error)(nil); errors.As(werr, &e) && e.BadCredentials() {
		if ce := p.refusal(); ce != nil {
			ce.err = e
			return ce
		}
	}
	return werr
}
