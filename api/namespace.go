package api

func init() {
	Register(KindInfo{Kind: "Namespace", Resource: "namespaces", Version: "v1",
		ShortNames: []string{"ns"}, New: func() Object { return &Namespace{} }})
}

// Namespace phases.
const (
	NamespaceActive      = "Active"
	NamespaceTerminating = "Terminating"
)

// Namespace scopes names; deleting one deletes everything in it.
type Namespace struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Spec       NamespaceSpec   `json:"spec,omitempty"`
	Status     NamespaceStatus `json:"status,omitempty"`
}

// NamespaceSpec lists the finalizers that must run before deletion completes.
type NamespaceSpec struct {
	Finalizers []string `json:"finalizers,omitempty"`
}

// NamespaceStatus is Active or Terminating.
type NamespaceStatus struct {
	Phase string `json:"phase,omitempty"`
}
