package api

// ValidateStatusUpdate checks a status write against the stored object.
// A pod whose phase is terminal (Failed or Succeeded) stays terminal, as in
// Kubernetes: the node lifecycle controller marks the pods of a lost node
// Failed, and an agent that comes back must not report them Running again
// while their replacements run elsewhere.
func ValidateStatusUpdate(old, cur Object) error {
	op, ok1 := old.(*Pod)
	np, ok2 := cur.(*Pod)
	if !ok1 || !ok2 {
		return nil
	}
	var errs FieldErrors
	if op.Status.Phase.Terminal() && np.Status.Phase != op.Status.Phase {
		errs.Add("status.phase", "Forbidden: may not be changed from %s to %s: the pod is terminated (reason %q)",
			op.Status.Phase, displayPhase(np.Status.Phase), op.Status.Reason)
	}
	return Invalid("Pod", np.Name, errs)
}

// Terminal reports a phase a pod never leaves.
func (p PodPhase) Terminal() bool { return p == PodFailed || p == PodSucceeded }

func displayPhase(p PodPhase) string {
	if p == "" {
		return `""`
	}
	return string(p)
}
