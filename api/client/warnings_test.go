package client

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/barque-io/barque/api"
)

func TestParseWarning(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{`299 - "unknown field \"spec.x\" is not implemented by Barque and was ignored"`, `unknown field "spec.x" is not implemented by Barque and was ignored`, true},
		{`299 barque "a \\ b" "Tue, 15 Nov 1994 08:12:31 GMT"`, `a \ b`, true},
		{`299 -`, "", false},
		{`299 - unquoted`, "", false},
		{`299 - "unterminated`, "", false},
	}
	for _, tt := range tests {
		got, ok := parseWarning(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseWarning(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestWarningsReachTheHandler(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Add("Warning", `299 - "unknown field \"data2\" is not implemented by Barque and was ignored"`)
		w.Header().Add("Warning", `299 - "second"`)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"d"}}`))
	})
	var mu sync.Mutex
	var got []string
	c, err := New(Config{Addresses: []string{srv.URL}, Timeout: 2 * time.Second, RetryFor: 2 * time.Second,
		Warnings: func(text string) { mu.Lock(); got = append(got, text); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	cm := &api.ConfigMap{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: api.ObjectMeta{Name: "c", Namespace: "d"}}
	if _, err := c.Create(context.Background(), cm); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0] != `unknown field "data2" is not implemented by Barque and was ignored` || got[1] != "second" {
		t.Errorf("warnings = %q", got)
	}
}
