package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/barque-io/barque/api"
)

// Scale is the scale subresource of a Deployment, ReplicaSet or
// StatefulSet (autoscaling/v1 Scale): the replicas asked for and those
// counted, and the pods' selector.
type Scale struct {
	Name, Namespace string
	ResourceVersion api.Version
	Replicas        int32 // spec.replicas
	Current         int32 // status.replicas
	Selector        string
}

type wireScale struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Metadata   api.ObjectMeta `json:"metadata"`
	Spec       struct {
		Replicas int32 `json:"replicas"`
	} `json:"spec"`
	Status struct {
		Replicas int32  `json:"replicas"`
		Selector string `json:"selector,omitempty"`
	} `json:"status"`
}

// GetScale reads an object's scale subresource.
func (c *Client) GetScale(ctx context.Context, kind, namespace, name string) (*Scale, error) {
	return c.scaleCall(ctx, kind, namespace, name, &request{method: http.MethodGet})
}

// SetScale sets an object's spec.replicas through its scale subresource,
// as kubectl scale does: conditional on rv when it is not 0 (409 when the
// object changed since), which also makes it safe to send again.
func (c *Client) SetScale(ctx context.Context, kind, namespace, name string, replicas int32, rv api.Version) (*Scale, error) {
	var w wireScale
	w.APIVersion, w.Kind = "autoscaling/v1", "Scale"
	w.Metadata = api.ObjectMeta{Name: name, Namespace: namespace, ResourceVersion: rv}
	w.Spec.Replicas = replicas
	body, err := json.Marshal(w)
	if err != nil {
		return nil, err
	}
	// Sent again after a lost answer only when conditional: an
	// unconditional repeat could undo another writer's count set between.
	return c.scaleCall(ctx, kind, namespace, name, &request{method: http.MethodPut, body: body, contentType: "application/json", cas: rv != 0})
}

func (c *Client) scaleCall(ctx context.Context, kind, namespace, name string, r *request) (*Scale, error) {
	ki, p, err := kindPath(kind, namespace, name)
	if err != nil {
		return nil, err
	}
	r.path = p + "/scale"
	body, _, err := c.call(ctx, r)
	if err != nil {
		return nil, err
	}
	var w wireScale
	if err := json.Unmarshal(body, &w); err != nil || w.Kind != "Scale" {
		return nil, fmt.Errorf("decoding the scale of %s %s: not a Scale (%v)", ki.Kind, name, err)
	}
	return &Scale{Name: w.Metadata.Name, Namespace: w.Metadata.Namespace, ResourceVersion: w.Metadata.ResourceVersion,
		Replicas: w.Spec.Replicas, Current: w.Status.Replicas, Selector: w.Status.Selector}, nil
}
