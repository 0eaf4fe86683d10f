package api_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand"
	"reflect"
	"slices"
	"sort"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/strategicpatch"

	"github.com/barque-io/barque/api"
)

// TestStrategicMergePatchRandomAgreesWithKubernetes applies random
// kubectl-style strategic merge patches to random pods, both with Barque's
// implementation and with Kubernetes' own, and wants the same object. The
// seeds are fixed, so a failure repeats; it is reported shrunk to a
// smallest original and patch that still disagree.
func TestStrategicMergePatchRandomAgreesWithKubernetes(t *testing.T) {
	const perSeed = 1000
	runs, skips, failures := 0, 0, 0
	for _, seed := range []int64{1, 2, 3, 4} {
		g := smpGen{rand.New(rand.NewSource(seed))}
		for i := 0; i < perSeed; i++ {
			pod := g.pod()
			patch := g.patch(pod)
			runs++
			switch smpCompare(pod, patch) {
			case smpSkip:
				skips++
			case smpExcluded:
				t.Fatalf("seed %d case %d: the generator made an input it should not:\n%s", seed, i, smpReport(pod, patch))
			case smpDiffer:
				failures++
				if failures <= 5 {
					pod, patch = smpShrink(pod, patch)
					t.Errorf("seed %d case %d: patched differently\n%s", seed, i, smpReport(pod, patch))
				}
			}
		}
	}
	t.Logf("%d random patches, %d skipped (rejected by Kubernetes), %d disagreed", runs, skips, failures)
	if skips > runs/2 {
		t.Errorf("%d of %d random patches were rejected by Kubernetes: the generator makes too few valid ones", skips, runs)
	}
}

// TestStrategicMergePatchRandomFindings: the disagreements the random test
// found, shrunk, checked whatever the generator happens to make.
func TestStrategicMergePatchRandomFindings(t *testing.T) {
	for _, tc := range []struct{ name, orig, patch string }{
		{"map deleted with $patch", `{"metadata":{"labels":{"a":"1"}}}`, `{"metadata":{"labels":{"$patch":"delete"}}}`},
		{"delete from an absent primitive list", `{"metadata":{"name":"p"}}`, `{"metadata":{"$deleteFromPrimitiveList/finalizers":["a.io/x"]}}`},
		{"delete the last value of a primitive list", `{"metadata":{"finalizers":["a.io/x"]}}`, `{"metadata":{"$deleteFromPrimitiveList/finalizers":["a.io/x"]}}`},
		{"apply deletes one container and adds one", `{"spec":{"containers":[{"name":"proxy"},{"name":"log"}]}}`,
			`{"spec":{"$setElementOrder/containers":[{"name":"side"}],"containers":[{"name":"side","image":"s"},{"$patch":"delete","name":"proxy"}]}}`},
		{"new container with a port over TCP and UDP", `{"spec":{"containers":[{"name":"web"}]}}`,
			`{"spec":{"containers":[{"name":"dns","ports":[{"containerPort":53},{"containerPort":53,"protocol":"UDP"}]}]}}`},
		{"ports added twice to a container without", `{"spec":{"containers":[{"name":"dns"}]}}`,
			`{"spec":{"containers":[{"name":"dns","ports":[{"containerPort":53},{"containerPort":53,"protocol":"UDP"}]}]}}`},
		{"delete a port served twice", `{"spec":{"containers":[{"name":"dns","ports":[{"containerPort":53},{"containerPort":53,"protocol":"UDP"}]}]}}`,
			`{"spec":{"containers":[{"name":"dns","ports":[{"$patch":"delete","containerPort":53}]}]}}`},
		{"empty $setElementOrder", `{"spec":{"containers":[{"name":"log"}]}}`, `{"spec":{"$setElementOrder/containers":[],"containers":[{"name":"side"}]}}`},
		{"$patch replace in an element replaces the list", `{"spec":{"containers":[{"name":"a","image":"1"},{"name":"b"}]}}`,
			`{"spec":{"containers":[{"name":"a","$patch":"replace","image":"2"},{"name":"c"}]}}`},
	} {
		var pod, patch map[string]any
		if err := json.Unmarshal([]byte(tc.orig), &pod); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(tc.patch), &patch); err != nil {
			t.Fatal(err)
		}
		if smpCompare(pod, patch) != smpSame {
			t.Errorf("%s:\n%s", tc.name, smpReport(pod, patch))
		}
	}
}

type smpOutcome int

const (
	smpSame     smpOutcome = iota
	smpSkip                // Kubernetes rejects the patch: nothing to compare
	smpDiffer              // Barque's result (or error) is not Kubernetes'
	smpExcluded            // an input where Barque need not agree (see smpGen)
)

// smpApply applies patch to pod with both implementations.
func smpApply(pod, patch map[string]any) (got, want []byte, gotErr, wantErr error) {
	o, p := smpJSON(pod), smpJSON(patch)
	want, wantErr = strategicpatch.StrategicMergePatch(o, p, &corev1.Pod{})
	got, gotErr = api.StrategicMergePatch("Pod", o, p)
	return got, want, gotErr, wantErr
}

func smpCompare(pod, patch map[string]any) smpOutcome {
	if smpExcludedMap(pod, patch) {
		return smpExcluded
	}
	got, want, gotErr, wantErr := smpApply(pod, patch)
	switch {
	case wantErr != nil:
		return smpSkip
	case gotErr != nil:
		return smpDiffer
	}
	var g, w any
	if json.Unmarshal(got, &g) != nil || json.Unmarshal(want, &w) != nil || !reflect.DeepEqual(g, w) {
		return smpDiffer
	}
	return smpSame
}

func smpReport(pod, patch map[string]any) string {
	got, want, gotErr, _ := smpApply(pod, patch)
	if gotErr != nil {
		got = []byte("error: " + gotErr.Error())
	}
	return fmt.Sprintf("original %s\npatch    %s\nbarque   %s\nk8s      %s", smpJSON(pod), smpJSON(patch), got, want)
}

func smpJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// smpShrink removes map keys and list elements from the patch and the pod,
// one at a time, for as long as the two implementations still disagree in
// the same way (Barque failing, or patching differently).
func smpShrink(pod, patch map[string]any) (map[string]any, map[string]any) {
	_, _, gotErr, _ := smpApply(pod, patch)
	same := func(pod, patch map[string]any) bool {
		_, _, err, _ := smpApply(pod, patch)
		return smpCompare(pod, patch) == smpDiffer && (err == nil) == (gotErr == nil)
	}
	for shrunk := true; shrunk; {
		shrunk = false
		for _, p := range smpSmaller(patch) {
			if same(pod, p.(map[string]any)) {
				patch, shrunk = p.(map[string]any), true
				break
			}
		}
		if shrunk {
			continue
		}
		for _, o := range smpSmaller(pod) {
			if same(o.(map[string]any), patch) {
				pod, shrunk = o.(map[string]any), true
				break
			}
		}
	}
	return pod, patch
}

// smpSmaller is every copy of v with one map key or list element fewer,
// at any depth.
func smpSmaller(v any) []any {
	var out []any
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			m := maps.Clone(v)
			delete(m, k)
			out = append(out, m)
			for _, s := range smpSmaller(v[k]) {
				m := maps.Clone(v)
				m[k] = s
				out = append(out, m)
			}
		}
	case []any:
		for i := range v {
			out = append(out, slices.Delete(slices.Clone(v), i, i+1))
			for _, s := range smpSmaller(v[i]) {
				l := slices.Clone(v)
				l[i] = s
				out = append(out, l)
			}
		}
	}
	return out
}
