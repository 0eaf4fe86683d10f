package api

import (
	"net/netip"
	"strings"
)

func init() {
	kindValidators["ConfigMap"] = func(o Object, errs *FieldErrors) { validateConfigMap(o.(*ConfigMap), errs) }
	kindValidators["Secret"] = func(o Object, errs *FieldErrors) { validateSecret(o.(*Secret), errs) }
	kindValidators["Node"] = func(o Object, errs *FieldErrors) { validateNode(&o.(*Node).Spec, errs) }
	kindValidators["Event"] = func(o Object, errs *FieldErrors) { validateEvent(o.(*Event), errs) }
	kindValidators["Namespace"] = func(o Object, errs *FieldErrors) {
		if p := o.(*Namespace).Status.Phase; p != "" && p != NamespaceActive && p != NamespaceTerminating {
			errs.NotSupported("status.phase", p, []string{NamespaceActive, NamespaceTerminating})
		}
	}
}

func validateConfigMap(c *ConfigMap, errs *FieldErrors) {
	size := 0
	for _, k := range sortedKeys(c.Data) {
		errs.addMsgs(key("data", k), k, IsConfigMapKey(k))
		size += len(c.Data[k])
	}
	for _, k := range sortedKeys(c.BinaryData) {
		errs.addMsgs(key("binaryData", k), k, IsConfigMapKey(k))
		if _, dup := c.Data[k]; dup {
			errs.Invalid(key("binaryData", k), k, "duplicate of key present in data")
		}
		size += len(c.BinaryData[k])
	}
	if size > MaxObjectBytes {
		errs.TooLong("data", MaxObjectBytes)
	}
}

// Keys that typed secrets must carry, so that consumers can rely on them.
var secretRequiredKeys = map[string][]string{
	SecretTypeTLS:              {"tls.crt", "tls.key"},
	SecretTypeDockerConfigJSON: {".dockerconfigjson"},
}

func validateSecret(s *Secret, errs *FieldErrors) {
	size := 0
	for _, k := range sortedKeys(s.Data) {
		errs.addMsgs(key("data", k), k, IsConfigMapKey(k))
		size += len(s.Data[k])
	}
	for _, k := range sortedKeys(s.StringData) {
		errs.addMsgs(key("stringData", k), k, IsConfigMapKey(k))
		size += len(s.StringData[k])
	}
	if size > MaxObjectBytes {
		errs.TooLong("data", MaxObjectBytes)
	}
	for _, k := range secretRequiredKeys[s.Type] {
		if !secretHas(s, k) {
			errs.Required(key("data", k), "")
		}
	}
	if s.Type == SecretTypeBasicAuth && !secretHas(s, "username") && !secretHas(s, "password") {
		errs.Required("data[username]", "either username or password is required")
	}
}

func secretHas(s *Secret, k string) bool {
	_, inData := s.Data[k]
	_, inString := s.StringData[k]
	return inData || inString
}

func validateNode(s *NodeSpec, errs *FieldErrors) {
	if s.PodCIDR != "" {
		if _, err := netip.ParsePrefix(s.PodCIDR); err != nil {
			errs.Invalid("spec.podCIDR", s.PodCIDR, "must be a valid CIDR")
		}
	}
	for i, c := range s.PodCIDRs {
		if _, err := netip.ParsePrefix(c); err != nil {
			errs.Invalid(idx("spec.podCIDRs", i), c, "must be a valid CIDR")
		}
	}
	seen := map[string]bool{}
	for i, t := range s.Taints {
		p := idx("spec.taints", i)
		if t.Key == "" {
			errs.Required(p+".key", "")
		} else {
			errs.addMsgs(p+".key", t.Key, IsQualifiedName(t.Key))
		}
		errs.addMsgs(p+".value", t.Value, IsValidLabelValue(t.Value))
		switch {
		case t.Effect == "":
			errs.Required(p+".effect", "")
		case !contains(taintEffects, string(t.Effect)):
			errs.NotSupported(p+".effect", string(t.Effect), taintEffects)
		}
		id := t.Key + "/" + string(t.Effect)
		if seen[id] {
			errs.Duplicate(p, "taints must be unique by key and effect pair")
		}
		seen[id] = true
	}
}

func validateEvent(e *Event, errs *FieldErrors) {
	if e.InvolvedObject.Kind == "" {
		errs.Required("involvedObject.kind", "")
	}
	if ns := e.InvolvedObject.Namespace; ns != "" && ns != e.Namespace {
		errs.Invalid("involvedObject.namespace", ns, "does not match event.namespace")
	}
	if e.Type != "" && e.Type != EventTypeNormal && e.Type != EventTypeWarning {
		errs.NotSupported("type", e.Type, []string{EventTypeNormal, EventTypeWarning})
	}
	if e.Count < 0 {
		errs.Invalid("count", e.Count, "must be greater than or equal to 0")
	}
	if len(e.Reason) > 128 {
		errs.TooLong("reason", 128)
	}
}

// isIP reports whether s is a literal IPv4 or IPv6 address.
func isIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil && !strings.Contains(s, "%")
}
