package api

import (
	"encoding/json"
	"testing"
	"time"
)

func TestIntOrStringJSON(t *testing.T) {
	tests := []struct {
		in   string
		want IntOrString
	}{
		{`8080`, FromInt(8080)},
		{`"http"`, FromString("http")},
		{`"25%"`, FromString("25%")},
		{`0`, FromInt(0)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var v IntOrString
			if err := json.Unmarshal([]byte(tt.in), &v); err != nil {
				t.Fatal(err)
			}
			if v != tt.want {
				t.Fatalf("decoded %+v, want %+v", v, tt.want)
			}
			out, err := json.Marshal(v)
			if err != nil || string(out) != tt.in {
				t.Fatalf("marshal = %s, %v; want %s", out, err, tt.in)
			}
		})
	}
	var v IntOrString
	if err := json.Unmarshal([]byte(`{"a":1}`), &v); err == nil {
		t.Error("object decoded as IntOrString")
	}
	var p ServicePort
	if err := json.Unmarshal([]byte(`{"port":80,"targetPort":"web"}`), &p); err != nil || p.TargetPort != FromString("web") {
		t.Errorf("targetPort = %+v, %v", p.TargetPort, err)
	}
}

func TestIntOrStringScaledValue(t *testing.T) {
	tests := []struct {
		v       IntOrString
		total   int
		up      bool
		want    int
		wantErr bool
	}{
		{FromString("25%"), 10, true, 3, false},
		{FromString("25%"), 10, false, 2, false},
		{FromInt(4), 10, true, 4, false},
		{FromString("100%"), 7, false, 7, false},
		{FromString("abc"), 7, false, 0, true},
	}
	for _, tt := range tests {
		got, err := tt.v.ScaledValue(tt.total, tt.up)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("%v.ScaledValue(%d,%v) = %d, %v; want %d", tt.v, tt.total, tt.up, got, err, tt.want)
		}
	}
}

func TestVersionAndTimeJSON(t *testing.T) {
	m := ObjectMeta{Name: "x", ResourceVersion: 42, CreationTimestamp: NewTime(time.Date(2024, 5, 6, 7, 8, 9, 500, time.FixedZone("x", 3600)))}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"name":"x","resourceVersion":"42","creationTimestamp":"2024-05-06T06:08:09Z"}`
	if string(b) != want {
		t.Fatalf("marshal = %s, want %s", b, want)
	}
	var back ObjectMeta
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.ResourceVersion != 42 || !back.CreationTimestamp.Equal(m.CreationTimestamp.Time) {
		t.Fatalf("round trip = %+v", back)
	}
	var v Version
	if err := json.Unmarshal([]byte(`17`), &v); err != nil || v != 17 {
		t.Errorf("bare number: %v, %v", v, err)
	}
	if err := json.Unmarshal([]byte(`"x1"`), &v); err == nil {
		t.Error("want error for non-numeric resourceVersion")
	}
}

func TestQuantity(t *testing.T) {
	tests := []struct {
		in    string
		milli int64
		value int64
	}{
		{"500m", 500, 1},
		{"2", 2000, 2},
		{"0.5", 500, 1},
		{"1.5", 1500, 2},
		{"128Mi", 128 << 20 * 1000, 128 << 20},
		{"1Gi", 1 << 30 * 1000, 1 << 30},
		{"1G", 1e9 * 1000, 1e9},
		{"1k", 1e6, 1000},
		{"1e3", 1e6, 1000},
		{"100u", 1, 1}, // below a milli rounds up
		{"0", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			q, err := ParseQuantity(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if q.MilliValue() != tt.milli || q.Value() != tt.value {
				t.Errorf("milli=%d value=%d, want %d %d", q.MilliValue(), q.Value(), tt.milli, tt.value)
			}
		})
	}
	for _, bad := range []string{"", "abc", "1Xi", "1.2.3", "Mi", "1 Gi", "1e99"} {
		if _, err := ParseQuantity(bad); err == nil {
			t.Errorf("ParseQuantity(%q): want error", bad)
		}
	}
	if MustParseQuantity("1").Cmp(MustParseQuantity("999m")) != 1 || MustParseQuantity("1500m").String() != "1500m" || MustParseQuantity("2").String() != "2" {
		t.Error("Cmp/String")
	}
	rl := ResourceList{"cpu": "250m"}
	if q, err := rl.Get("cpu"); err != nil || q.MilliValue() != 250 {
		t.Errorf("Get(cpu) = %v, %v", q, err)
	}
	if q, err := rl.Get("memory"); err != nil || q.MilliValue() != 0 {
		t.Errorf("Get(memory) = %v, %v", q, err)
	}
}

func TestRegistry(t *testing.T) {
	tests := []struct{ name, kind, apiVersion string }{
		{"deploy", "Deployment", "apps/v1"},
		{"po", "Pod", "v1"},
		{"svc", "Service", "v1"},
		{"cj", "CronJob", "batch/v1"},
		{"ing", "Ingress", "networking.k8s.io/v1"},
		{"statefulsets", "StatefulSet", "apps/v1"},
		{"pvc", "PersistentVolumeClaim", "v1"},
		{"persistentvolumeclaim", "PersistentVolumeClaim", "v1"},
		{"secret", "Secret", "v1"},
		{"no", "Node", "v1"},
		{"nj", "NomadJob", "barque.io/v1"},
		{"nomadjobversions", "NomadJobVersion", "barque.io/v1"},
	}
	for _, tt := range tests {
		k, err := ResolveName(tt.name)
		if err != nil || k.Kind != tt.kind || k.APIVersion() != tt.apiVersion {
			t.Errorf("ResolveName(%q) = %+v, %v", tt.name, k, err)
		}
	}
	for _, k := range Kinds() {
		obj := k.New()
		got, ok := KindOf(obj)
		if !ok || got.Kind != k.Kind {
			t.Errorf("KindOf(%T) = %v", obj, got)
		}
	}
	// The 15 kinds of the design plus the job record and its versions,
	// and the StatefulSets' PersistentVolumeClaims.
	if len(Kinds()) != 18 {
		t.Errorf("%d kinds registered, want 18", len(Kinds()))
	}
}
