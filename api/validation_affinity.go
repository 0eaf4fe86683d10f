package api

var nodeSelectorOps = []string{NodeSelectorOpIn, NodeSelectorOpNotIn, NodeSelectorOpExists,
	NodeSelectorOpDoesNotExist, NodeSelectorOpGt, NodeSelectorOpLt}

func validateAffinity(a *Affinity, path string, errs *FieldErrors) {
	if a == nil {
		return
	}
	if na := a.NodeAffinity; na != nil {
		p := path + ".nodeAffinity"
		if req := na.RequiredDuringSchedulingIgnoredDuringExecution; req != nil {
			rp := p + ".requiredDuringSchedulingIgnoredDuringExecution"
			if len(req.NodeSelectorTerms) == 0 {
				errs.Required(rp+".nodeSelectorTerms", "must have at least one node selector term")
			}
			for i, t := range req.NodeSelectorTerms {
				validateNodeSelectorTerm(t, idx(rp+".nodeSelectorTerms", i), errs)
			}
		}
		pp := p + ".preferredDuringSchedulingIgnoredDuringExecution"
		for i, t := range na.PreferredDuringSchedulingIgnoredDuringExecution {
			validateWeight(t.Weight, idx(pp, i)+".weight", errs)
			validateNodeSelectorTerm(t.Preference, idx(pp, i)+".preference", errs)
		}
	}
	if pa := a.PodAffinity; pa != nil {
		validatePodAffinityTerms(pa.RequiredDuringSchedulingIgnoredDuringExecution,
			pa.PreferredDuringSchedulingIgnoredDuringExecution, path+".podAffinity", errs)
	}
	if pa := a.PodAntiAffinity; pa != nil {
		validatePodAffinityTerms(pa.RequiredDuringSchedulingIgnoredDuringExecution,
			pa.PreferredDuringSchedulingIgnoredDuringExecution, path+".podAntiAffinity", errs)
	}
}

func validateNodeSelectorTerm(t NodeSelectorTerm, path string, errs *FieldErrors) {
	for i, r := range t.MatchExpressions {
		p := idx(path+".matchExpressions", i)
		errs.addMsgs(p+".key", r.Key, IsQualifiedName(r.Key))
		validateNodeSelectorReq(r, p, errs)
	}
	for i, r := range t.MatchFields {
		p := idx(path+".matchFields", i)
		if r.Key != "metadata.name" {
			errs.NotSupported(p+".key", r.Key, []string{"metadata.name"})
		}
		validateNodeSelectorReq(r, p, errs)
	}
}

func validateNodeSelectorReq(r NodeSelectorRequirement, p string, errs *FieldErrors) {
	switch r.Operator {
	case NodeSelectorOpIn, NodeSelectorOpNotIn:
		if len(r.Values) == 0 {
			errs.Required(p+".values", "must be specified when `operator` is 'In' or 'NotIn'")
		}
	case NodeSelectorOpExists, NodeSelectorOpDoesNotExist:
		if len(r.Values) > 0 {
			errs.Forbidden(p+".values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'")
		}
	case NodeSelectorOpGt, NodeSelectorOpLt:
		if len(r.Values) != 1 {
			errs.Required(p+".values", "must be specified single value when `operator` is 'Lt' or 'Gt'")
		}
	default:
		errs.NotSupported(p+".operator", r.Operator, nodeSelectorOps)
	}
}

func validateWeight(w int32, path string, errs *FieldErrors) {
	if w < 1 || w > 100 {
		errs.Invalid(path, w, "must be in the range 1-100")
	}
}

func validatePodAffinityTerms(req []PodAffinityTerm, pref []WeightedPodAffinityTerm, path string, errs *FieldErrors) {
	rp := path + ".requiredDuringSchedulingIgnoredDuringExecution"
	for i, t := range req {
		validatePodAffinityTerm(t, idx(rp, i), errs)
	}
	pp := path + ".preferredDuringSchedulingIgnoredDuringExecution"
	for i, t := range pref {
		validateWeight(t.Weight, idx(pp, i)+".weight", errs)
		validatePodAffinityTerm(t.PodAffinityTerm, idx(pp, i)+".podAffinityTerm", errs)
	}
}

func validatePodAffinityTerm(t PodAffinityTerm, path string, errs *FieldErrors) {
	if t.TopologyKey == "" {
		errs.Required(path+".topologyKey", "can not be empty")
	} else {
		errs.addMsgs(path+".topologyKey", t.TopologyKey, IsQualifiedName(t.TopologyKey))
	}
	validateLabelSelector(t.LabelSelector, path+".labelSelector", errs)
	for i, ns := range t.Namespaces {
		errs.addMsgs(idx(path+".namespaces", i), ns, IsDNS1123Label(ns))
	}
}

// validateLabelSelector checks a manifest selector's keys, operators and
// values, reporting each at its own path.
func validateLabelSelector(ls *LabelSelector, path string, errs *FieldErrors) {
	if ls == nil {
		return
	}
	validateLabels(ls.MatchLabels, path+".matchLabels", errs)
	for i, e := range ls.MatchExpressions {
		p := idx(path+".matchExpressions", i)
		errs.addMsgs(p+".key", e.Key, IsQualifiedName(e.Key))
		switch e.Operator {
		case LabelSelectorOpIn, LabelSelectorOpNotIn:
			if len(e.Values) == 0 {
				errs.Required(p+".values", "must be specified when `operator` is 'In' or 'NotIn'")
			}
		case LabelSelectorOpExists, LabelSelectorOpDoesNotExist:
			if len(e.Values) > 0 {
				errs.Forbidden(p+".values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'")
			}
		default:
			errs.NotSupported(p+".operator", string(e.Operator), []string{"In", "NotIn", "Exists", "DoesNotExist"})
		}
		for j, v := range e.Values {
			errs.addMsgs(idx(p+".values", j), v, IsValidLabelValue(v))
		}
	}
}
