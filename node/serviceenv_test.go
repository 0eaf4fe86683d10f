package node

import (
	"testing"

	"github.com/barque-io/barque/api"
)

func TestServiceVars(t *testing.T) {
	svc := &api.Service{ObjectMeta: api.ObjectMeta{Name: "redis-primary"},
		Spec: api.ServiceSpec{ClusterIP: "10.0.0.11", Ports: []api.ServicePort{{Name: "redis", Port: 6379}, {Name: "metrics", Port: 9121, Protocol: "TCP"}}}}
	env := map[string]string{}
	addServiceVars(env, svc, svc.Spec.ClusterIP)
	want := map[string]string{
		"REDIS_PRIMARY_SERVICE_HOST":         "10.0.0.11",
		"REDIS_PRIMARY_SERVICE_PORT":         "6379",
		"REDIS_PRIMARY_SERVICE_PORT_REDIS":   "6379",
		"REDIS_PRIMARY_SERVICE_PORT_METRICS": "9121",
		"REDIS_PRIMARY_PORT":                 "tcp://10.0.0.11:6379",
		"REDIS_PRIMARY_PORT_6379_TCP":        "tcp://10.0.0.11:6379",
		"REDIS_PRIMARY_PORT_6379_TCP_PROTO":  "tcp",
		"REDIS_PRIMARY_PORT_6379_TCP_PORT":   "6379",
		"REDIS_PRIMARY_PORT_6379_TCP_ADDR":   "10.0.0.11",
		"REDIS_PRIMARY_PORT_9121_TCP_ADDR":   "10.0.0.11",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
}
