// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package federation

import (
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// A new kubeconfig rebuilds the clients of the contexts that connect
// differently, and only those.
func TestMemberClientsRebuildChangedContextsOnly(t *testing.T) {
	f := New(Options{Scheme: set.Scheme})
	names := set.Contexts()
	write := func(change func(*clientcmdapi.Config)) []byte {
		t.Helper()
		kc, err := clientcmd.Load(set.Kubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		change(kc)
		data, err := clientcmd.Write(*kc)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	get := func(kubeconfig []byte) []*member {
		t.Helper()
		ms, err := f.memberClients(kubeconfig, names)
		if err != nil {
			t.Fatal(err)
		}
		return ms
	}
	same := func(what string, a, b []*member, want ...bool) {
		t.Helper()
		for i := range a {
			if (a[i] == b[i]) != want[i] {
				t.Errorf("%s: client of %s reused = %v, want %v", what, names[i], a[i] == b[i], want[i])
			}
		}
	}

	first := get(set.Kubeconfig)
	same("the same kubeconfig", first, get(set.Kubeconfig), true, true, true)

	// Another context added, the current one changed, a namespace set: the
	// way each connects is the same.
	unrelated := write(func(kc *clientcmdapi.Config) {
		kc.Clusters["extra"] = &clientcmdapi.Cluster{Server: "https://10.0.0.1"}
		kc.Contexts["extra"] = &clientcmdapi.Context{Cluster: "extra", AuthInfo: names[0]}
		kc.CurrentContext = names[2]
		kc.Contexts[names[0]].Namespace = "team-a"
	})
	same("unrelated changes", first, get(unrelated), true, true, true)

	// The second cluster's server address and the third's impersonation.
	changed := write(func(kc *clientcmdapi.Config) {
		kc.Clusters[names[1]].Server += "/"
		kc.AuthInfos[names[2]].Impersonate = "someone"
	})
	second := get(changed)
	same("two contexts changed", first, second, true, false, false)
	if second[1].fingerprint == first[1].fingerprint {
		t.Errorf("the changed context kept its fingerprint")
	}

	// A kubeconfig that lacks a context fails; the next good one reuses the
	// clients of the contexts that were there all along.
	kc, err := clientcmd.Load(changed)
	if err != nil {
		t.Fatal(err)
	}
	delete(kc.Contexts, names[1])
	lacking, err := clientcmd.Write(*kc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.memberClients(lacking, names); err == nil {
		t.Errorf("a missing context: no error")
	}
	same("after an error", second, get(changed), true, false, true)
}
