package server_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/barque-io/barque/internal/cluster"
)

const tableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"

// getAccept GETs url with an Accept header and decodes the JSON answer.
func getAccept(t *testing.T, url, accept string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept", accept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, out
}

func columnNames(t *testing.T, tab map[string]any) []string {
	t.Helper()
	var names []string
	for _, d := range tab["columnDefinitions"].([]any) {
		names = append(names, d.(map[string]any)["name"].(string))
	}
	return names
}

func rowsOf(tab map[string]any) []map[string]any {
	var out []map[string]any
	for _, r := range tab["rows"].([]any) {
		out = append(out, r.(map[string]any))
	}
	return out
}

// TestTableResponses: with kubectl's Accept header a list, a get and a
// watch answer meta.k8s.io Tables: the Name column first, then the kind's
// columns (wide ones at priority 1), one row per object with its cells
// and, as includeObject asks, its metadata (the default), the whole
// object, or nothing; list metadata (resourceVersion, continue) is kept.
// Without the header, or with plain JSON first, the objects come as
// before; a bad includeObject is a 400 that names it.
func TestTableResponses(t *testing.T) {
	c := cluster.New(t, 1, cluster.Options{})
	base := c.WaitForLeader(10 * time.Second).APIURL()
	for _, n := range []string{"a", "b", "c"} {
		if code, body := do(t, http.MethodPost, base+cmPath, configMap(n, "v")); code != http.StatusCreated {
			t.Fatalf("create %s: %d %v", n, code, body)
		}
	}

	code, tab := getAccept(t, base+cmPath+"?limit=2", tableAccept)
	if code != http.StatusOK || tab["kind"] != "Table" || tab["apiVersion"] != "meta.k8s.io/v1" {
		t.Fatalf("list as Table: %d %v", code, tab)
	}
	if got := columnNames(t, tab); !reflect.DeepEqual(got, []string{"Name", "Data", "Age"}) {
		t.Fatalf("ConfigMap columns %v", got)
	}
	rows := rowsOf(tab)
	md := tab["metadata"].(map[string]any)
	if len(rows) != 2 || md["continue"] == nil || md["resourceVersion"] == "" {
		t.Fatalf("a page of 2: %d rows, metadata %v", len(rows), md)
	}
	cells := rows[0]["cells"].([]any)
	obj := rows[0]["object"].(map[string]any)
	if cells[0] != "a" || cells[1] != "1" || !strings.HasSuffix(cells[2].(string), "s") ||
		obj["kind"] != "PartialObjectMetadata" || obj["metadata"].(map[string]any)["name"] != "a" || obj["data"] != nil {
		t.Fatalf("row of a: cells %v object %v", cells, obj)
	}
	_, next := getAccept(t, base+cmPath+"?limit=2&continue="+md["continue"].(string), tableAccept)
	if rows := rowsOf(next); len(rows) != 1 || rows[0]["cells"].([]any)[0] != "c" {
		t.Fatalf("the continued page: %v", next)
	}

	_, full := getAccept(t, base+cmPath+"?includeObject=Object", tableAccept)
	if o := rowsOf(full)[1]["object"].(map[string]any); o["kind"] != "ConfigMap" || o["data"].(map[string]any)["k"] != "v" {
		t.Fatalf("includeObject=Object: %v", o)
	}
	_, none := getAccept(t, base+cmPath+"?includeObject=None", tableAccept)
	if o, ok := rowsOf(none)[0]["object"]; ok {
		t.Fatalf("includeObject=None sent %v", o)
	}
	if code, st := getAccept(t, base+cmPath+"?includeObject=All", tableAccept); code != http.StatusBadRequest ||
		!strings.Contains(st["message"].(string), "includeObject") {
		t.Fatalf("a bad includeObject: %d %v", code, st)
	}

	_, one := getAccept(t, base+cmPath+"/b", "application/json;as=Table;v=v1beta1;g=meta.k8s.io")
	if one["apiVersion"] != "meta.k8s.io/v1beta1" || len(rowsOf(one)) != 1 || rowsOf(one)[0]["cells"].([]any)[0] != "b" {
		t.Fatalf("get as a v1beta1 Table: %v", one)
	}
	if _, plain := getAccept(t, base+cmPath, "application/json, "+tableAccept); plain["kind"] != "ConfigMapList" {
		t.Fatalf("plain JSON preferred: kind %v", plain["kind"])
	}
	if _, plain := getAccept(t, base+cmPath+"/b", ""); plain["kind"] != "ConfigMap" {
		t.Fatalf("no Accept: kind %v", plain["kind"])
	}

	// Pods: the wide columns are there, at priority 1.
	_, pods := getAccept(t, base+"/api/v1/namespaces/default/pods", tableAccept)
	var wide []string
	for _, d := range pods["columnDefinitions"].([]any) {
		if d := d.(map[string]any); d["priority"].(float64) == 1 {
			wide = append(wide, d["name"].(string))
		}
	}
	if got := columnNames(t, pods); !reflect.DeepEqual(got[:5], []string{"Name", "Ready", "Status", "Restarts", "Age"}) ||
		!reflect.DeepEqual(wide, []string{"IP", "Node"}) {
		t.Fatalf("Pod columns %v, wide %v", got, wide)
	}

	watchTables(t, base, md["resourceVersion"].(string))
}

// watchTables: a watch asked for Tables sends each object as a Table of
// one row; only the first carries the column definitions.
func watchTables(t *testing.T, base, rv string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+cmPath+"?watch=true&resourceVersion="+rv, nil)
	req.Header.Set("Accept", tableAccept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewReader(io.LimitReader(resp.Body, 1<<20))
	for i, n := range []string{"d", "e"} {
		if code, body := do(t, http.MethodPost, base+cmPath, configMap(n, "v")); code != http.StatusCreated {
			t.Fatalf("create %s: %d %v", n, code, body)
		}
		line, err := lines.ReadBytes('\n')
		if err != nil {
			t.Fatal(err)
		}
		var ev struct {
			Type   string
			Object map[string]any
		}
		if err := json.Unmarshal(line, &ev); err != nil {
			t.Fatal(err)
		}
		rows := rowsOf(ev.Object)
		hasCols := ev.Object["columnDefinitions"] != nil
		if ev.Type != "ADDED" || ev.Object["kind"] != "Table" || len(rows) != 1 || rows[0]["cells"].([]any)[0] != n || hasCols != (i == 0) {
			t.Fatalf("watch event %d: %s", i, line)
		}
	}
}
