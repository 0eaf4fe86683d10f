package server

import (
	"testing"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/fsm/state"
)

func TestSelectedEvent(t *testing.T) {
	cm := func(env string, rv api.Version) api.Object {
		return &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: "c", Labels: map[string]string{"env": env}, ResourceVersion: rv}}
	}
	prod := func(o api.Object) bool { return o.GetObjectMeta().Labels["env"] == "prod" }
	for _, c := range []struct {
		name     string
		ev       state.Event
		wantType string // "" for not sent
		wantEnv  string
		wantRV   api.Version
	}{
		{"created matching", state.Event{Type: state.Added, Index: 5, Object: cm("prod", 5)}, "ADDED", "prod", 5},
		{"created not matching", state.Event{Type: state.Added, Index: 5, Object: cm("dev", 5)}, "", "", 0},
		{"starts matching", state.Event{Type: state.Modified, Index: 6, Object: cm("prod", 6), Prev: cm("dev", 5)}, "ADDED", "prod", 6},
		{"keeps matching", state.Event{Type: state.Modified, Index: 7, Object: cm("prod", 7), Prev: cm("prod", 6)}, "MODIFIED", "prod", 7},
		{"stops matching: the version that matched, at the change", state.Event{Type: state.Modified, Index: 8, Object: cm("dev", 8), Prev: cm("prod", 7)}, "DELETED", "prod", 8},
		{"matches neither", state.Event{Type: state.Modified, Index: 9, Object: cm("dev", 9), Prev: cm("dev", 8)}, "", "", 0},
		{"deleted matching", state.Event{Type: state.Deleted, Index: 10, Object: cm("prod", 10)}, "DELETED", "prod", 10},
		{"deleted not matching", state.Event{Type: state.Deleted, Index: 10, Object: cm("dev", 10)}, "", "", 0},
	} {
		typ, obj, ok := selectedEvent(c.ev, prod)
		if !ok {
			if c.wantType != "" {
				t.Errorf("%s: not sent, want %s", c.name, c.wantType)
			}
			continue
		}
		m := obj.GetObjectMeta()
		if typ != c.wantType || m.Labels["env"] != c.wantEnv || m.ResourceVersion != c.wantRV {
			t.Errorf("%s: %s env=%s rv %d, want %s env=%s rv %d", c.name, typ, m.Labels["env"], m.ResourceVersion, c.wantType, c.wantEnv, c.wantRV)
		}
	}
	// The stored version a DELETED is made from is not changed.
	prev := cm("prod", 7)
	selectedEvent(state.Event{Type: state.Modified, Index: 8, Object: cm("dev", 8), Prev: prev}, prod)
	if prev.GetObjectMeta().ResourceVersion != 7 {
		t.Errorf("the previous version was changed to rv %d", prev.GetObjectMeta().ResourceVersion)
	}
	// Without a selector every event goes as it is.
	if typ, _, ok := selectedEvent(state.Event{Type: state.Modified, Object: cm("dev", 8), Prev: cm("prod", 7)}, nil); !ok || typ != "MODIFIED" {
		t.Errorf("no selector: %s %v", typ, ok)
	}
}
