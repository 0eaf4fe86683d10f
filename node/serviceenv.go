package node

import (
	"context"
	"strconv"
	"strings"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
)

// serviceEnv is Kubernetes' service environment: for every Service with a
// cluster IP in the pod's namespace, NAME_SERVICE_HOST, NAME_SERVICE_PORT,
// NAME_SERVICE_PORT_<PORTNAME> and the Docker-link style NAME_PORT… vars,
// unless the pod sets enableServiceLinks: false (then only the variables of
// the "kubernetes" service would remain, which Barque does not define).
func (a *Agent) serviceEnv(ctx context.Context, pod *api.Pod) map[string]string {
	if pod.Spec.EnableServiceLinks != nil && !*pod.Spec.EnableServiceLinks {
		return nil
	}
	list, err := a.client.List(ctx, "Service", pod.Namespace, client.ListOptions{})
	if err != nil {
		a.logger.Debug("listing services for the service environment failed", "pod", pod.Name, "error", err)
		return nil
	}
	env := map[string]string{}
	for _, o := range list.Items {
		svc := o.(*api.Service)
		ip := svc.Spec.ClusterIP
		if ip == "" || ip == "None" || len(svc.Spec.Ports) == 0 {
			continue
		}
		addServiceVars(env, svc, ip)
	}
	return env
}

func addServiceVars(env map[string]string, svc *api.Service, ip string) {
	name := strings.ToUpper(strings.ReplaceAll(svc.Name, "-", "_"))
	first := svc.Spec.Ports[0]
	env[name+"_SERVICE_HOST"] = ip
	env[name+"_SERVICE_PORT"] = strconv.Itoa(int(first.Port))
	for _, p := range svc.Spec.Ports {
		port := strconv.Itoa(int(p.Port))
		proto := string(p.Protocol)
		if proto == "" {
			proto = "TCP"
		}
		if p.Name != "" {
			env[name+"_SERVICE_PORT_"+strings.ToUpper(strings.ReplaceAll(p.Name, "-", "_"))] = port
		}
		prefix := name + "_PORT_" + port + "_" + proto
		env[prefix] = strings.ToLower(proto) + "://" + ip + ":" + port
		env[prefix+"_PROTO"] = strings.ToLower(proto)
		env[prefix+"_PORT"] = port
		env[prefix+"_ADDR"] = ip
	}
	env[name+"_PORT"] = strings.ToLower(orTCP(first.Protocol)) + "://" + ip + ":" + strconv.Itoa(int(first.Port))
}

func orTCP(p api.Protocol) string {
	if p == "" {
		return "TCP"
	}
	return string(p)
}
