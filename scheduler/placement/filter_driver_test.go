package placement

import "testing"

func TestDriver(t *testing.T) {
	ns := nodes(node("both"), node("execonly").drivers("exec"), node("none").drivers())
	withImage := pod("p").obj()
	withImage.Spec.Containers[0].Image = "nginx"
	named := pod("p").obj()
	named.Spec.Containers[0].Driver = "qemu"
	runFilterCases(t, Driver{}, []filterCase{
		{name: "exec by default", nodes: ns, pod: pod("p").obj(),
			want: map[string]string{"both": "", "execonly": "", "none": "node(s) didn't have driver exec"}},
		{name: "docker for an image", nodes: ns, pod: withImage,
			want: map[string]string{"both": "", "execonly": "node(s) didn't have driver docker",
				"none": "node(s) didn't have driver docker"}},
		{name: "annotation", nodes: ns, pod: pod("p").annotate(AnnotationDriver, "docker").obj(),
			want: map[string]string{"both": "", "execonly": "node(s) didn't have driver docker",
				"none": "node(s) didn't have driver docker"}},
		{name: "container's own driver", nodes: ns, pod: named,
			want: map[string]string{"both": "node(s) didn't have driver qemu",
				"execonly": "node(s) didn't have driver qemu", "none": "node(s) didn't have driver qemu"}},
	})
}
