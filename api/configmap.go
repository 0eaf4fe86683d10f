package api

func init() {
	Register(KindInfo{Kind: "ConfigMap", Resource: "configmaps", Version: "v1", Namespaced: true,
		ShortNames: []string{"cm"}, New: func() Object { return &ConfigMap{} }})
}

// ConfigMap holds configuration data for pods to consume.
type ConfigMap struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Immutable  *bool             `json:"immutable,omitempty"`
	Data       map[string]string `json:"data,omitempty"`
	BinaryData map[string][]byte `json:"binaryData,omitempty"`
}
