package api

func init() {
	Register(KindInfo{Kind: "Secret", Resource: "secrets", Version: "v1", Namespaced: true,
		New: func() Object { return &Secret{} }})
}

// Secret types that Barque knows.
const (
	SecretTypeOpaque           = "Opaque"
	SecretTypeDockerConfigJSON = "kubernetes.io/dockerconfigjson"
	SecretTypeTLS              = "kubernetes.io/tls"
	SecretTypeBasicAuth        = "kubernetes.io/basic-auth"
)

// Secret holds sensitive data. Data is base64 on the wire (as []byte always
// is in encoding/json); StringData is write-only convenience that Default
// merges into Data.
type Secret struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Immutable  *bool             `json:"immutable,omitempty"`
	Data       map[string][]byte `json:"data,omitempty"`
	StringData map[string]string `json:"stringData,omitempty"`
	Type       string            `json:"type,omitempty"`
}
