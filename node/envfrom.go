package node

import (
	"context"
	"errors"
	"fmt"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/barque-io/barque/api/tmpl"
)

// envFrom adds the keys of the container's envFrom ConfigMaps and Secrets
// to env (each with the source's prefix), below the container's env which
// is applied after. Template ConfigMaps are skipped here: they are rendered
// when the task starts (renderTemplates). A missing optional source adds
// nothing.
func (a *Agent) envFrom(ctx context.Context, pod *api.Pod, c api.Container, env map[string]string) error {
	for _, src := range c.EnvFrom {
		var ref *api.LocalObjectOptional
		kind := "ConfigMap"
		switch {
		case src.ConfigMapRef != nil:
			ref = src.ConfigMapRef
		case src.SecretRef != nil:
			ref, kind = src.SecretRef, "Secret"
		default:
			continue
		}
		obj, err := a.client.Get(ctx, kind, pod.Namespace, ref.Name, client.GetOptions{})
		if err != nil {
			if optional(ref) && errors.Is(err, api.ErrNotFound) {
				continue
			}
			return fmt.Errorf("envFrom %s %q: %w", kind, ref.Name, err)
		}
		switch o := obj.(type) {
		case *api.ConfigMap:
			if tmpl.IsTemplate(o.Annotations) {
				continue
			}
			for k, v := range o.Data {
				env[src.Prefix+k] = v
			}
		case *api.Secret:
			for k, v := range o.Data {
				env[src.Prefix+k] = string(v)
			}
		}
	}
	return nil
}
