package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/thingyard/thingyard/internal/testkit"
	"github.com/thingyard/thingyard/server/api/apitest"
	"github.com/thingyard/thingyard/server/relay"
)

// openAPIRouter loads the served document, checks it is valid OpenAPI 3.1
// and routes requests by it.
func openAPIRouter(t *testing.T, s *apitest.Server) routers.Router {
	t.Helper()
	res, err := http.Get(s.URL + "/api/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	doc, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		t.Fatalf("load the document: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("the document is OpenAPI %s, want 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the document is not valid: %v", err)
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return router
}

// Every response of the real handlers, good and bad, matches the OpenAPI
// document: status, content type and body schema.
func TestResponsesMatchTheOpenAPIDocument(t *testing.T) {
	// Rooms fold early, so the event stream's snapshot carries a world
	// state (checked below).
	s := apitest.NewFolding(t, 4, relay.WorldLimits{Actions: 4, Behind: 1})
	router := openAPIRouter(t, s)
	id := s.NewRoom(t, "open-api")
	s.Clock.Advance(20_000)
	tests := []struct {
		method, path, body string
		status             int
		validRequest       bool // a request the document allows (bad ones test error answers)
	}{
		{"POST", "/rooms", `{"scene":"open-api"}`, 201, true},
		{"POST", "/rooms", "", 201, true},
		{"POST", "/api/rooms", `{"scene":"scalability"}`, 201, true},
		{"POST", "/rooms", `{"scene":"atlantis"}`, 422, true},
		{"POST", "/rooms", `{"colour":"red"}`, 400, false},
		{"GET", "/api/rooms/" + id, "", 200, true},
		{"GET", "/api/rooms/nosuchroom1", "", 404, true},
		{"GET", "/api/rooms/" + id + "/devices", "", 200, true},
		{"GET", "/api/rooms/" + id + "/devices/fan", "", 200, true},
		{"GET", "/api/rooms/" + id + "/devices/ghost", "", 404, true},
		{"POST", "/api/rooms/" + id + "/actions", `{"kind":"command","device":"fan","on":true}`, 202, true},
		{"POST", "/api/rooms/" + id + "/actions", `{"kind":"set","link":"net","key":"loss_pct","value":5}`, 202, true},
		{"POST", "/api/rooms/" + id + "/actions", `{"kind":"reading","device":"meter","readings":[{"name":"power","value":900}]}`, 202, true},
		{"POST", "/api/rooms/" + id + "/actions", `{"kind":"power","device":"fan","on":false}`, 202, true},
		{"POST", "/api/rooms/" + id + "/actions", `{"kind":"power","device":"plc","on":false}`, 403, true},
		{"POST", "/api/rooms/" + id + "/actions", `{"kind":"power","device":"ghost"}`, 422, true},
		{"POST", "/api/rooms/" + id + "/actions", `{"kind":"explode"}`, 422, false},
		{"POST", "/api/rooms/nosuchroom1/actions", `{"kind":"cut","link":"internet"}`, 404, true},
		{"GET", "/api/rooms/" + id + "/events?since=x", "", 400, false},
		{"GET", "/api/rooms/nosuchroom1/events", "", 404, true},
		{"GET", "/api/openapi.json", "", 200, true},
	}
	for _, tt := range tests {
		name := tt.method + " " + tt.path + " " + tt.body
		req, _ := http.NewRequest(tt.method, s.URL+tt.path, strings.NewReader(tt.body))
		if tt.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d (%s)", name, res.StatusCode, tt.status, body)
			continue
		}
		checkAgainstDocument(t, router, name, tt.method, s.URL+tt.path, tt.body, tt.validRequest, res, body, false)
	}

	// The event stream's answer, without its endless body.
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/api/rooms/"+id+"/events?since=1", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	checkAgainstDocument(t, router, "events", "GET", req.URL.String(), "", true, res, nil, true)
	cancel()
	res.Body.Close()

	checkEvents(t, s, router, id)
}

// checkEvents checks the data of a room's event stream from seq 0 against
// the document's schemas: its snapshot event, carrying the room's world
// state, against SnapshotEvent, and each envelope after it against
// Envelope.
func checkEvents(t *testing.T, s *apitest.Server, router routers.Router, id string) {
	t.Helper()
	testkit.Eventually(t, 20*time.Second, "room "+id+"'s world state made", func() bool {
		info, ok := s.Rel.Info(id)
		return ok && !info.Folding && info.WorldSeq > 0
	})
	s.Do(t, "POST", "/api/rooms/"+id+"/actions", `{"kind":"cut","link":"internet"}`, nil)
	info, _ := s.Rel.Info(id)
	route, _, err := router.FindRoute(httptest.NewRequest("GET", s.URL+"/api/rooms/"+id+"/events", nil))
	if err != nil {
		t.Fatal(err)
	}
	schemas := route.Spec.Components.Schemas
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/api/rooms/"+id+"/events?since=0", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(nil, 16<<20)
	var event string
	var snapshots int
	for sc.Scan() {
		line := sc.Text()
		if name, ok := strings.CutPrefix(line, "event: "); ok {
			event = name
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		var v any
		if err := json.Unmarshal([]byte(data), &v); err != nil {
			t.Fatalf("event %s: data is not JSON: %v", event, err)
		}
		schema := "Envelope"
		if event == "snapshot" {
			schema = "SnapshotEvent"
			snapshots++
			if m, _ := v.(map[string]any); m["world"] == nil || m["world_seq"] == nil {
				t.Errorf("the snapshot event carries no world state: %.200s", data)
			}
		}
		if schemas[schema] == nil {
			t.Fatalf("the document has no schema %s for the data of event %s", schema, event)
		}
		if err := schemas[schema].Value.VisitJSON(v); err != nil {
			t.Errorf("event %s does not match schema %s: %v\n%.300s", event, schema, err, data)
		}
		var seq struct{ Seq uint64 }
		json.Unmarshal([]byte(data), &seq)
		if seq.Seq >= info.Seq {
			break
		}
	}
	if snapshots != 1 {
		t.Errorf("%d snapshot events, want 1", snapshots)
	}
}

func checkAgainstDocument(t *testing.T, router routers.Router, name, method, url, body string, validRequest bool,
	res *http.Response, resBody []byte, skipBody bool) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Errorf("%s: not in the document: %v", name, err)
		return
	}
	opts := &openapi3filter.Options{MultiError: true, ExcludeResponseBody: skipBody, IncludeResponseStatus: true}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	err = openapi3filter.ValidateRequest(context.Background(), in)
	if validRequest && err != nil {
		t.Errorf("%s: the request does not match the document: %v", name, err)
	}
	if !validRequest && err == nil {
		t.Errorf("%s: the document allows a request the server refuses", name)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header,
		Body: io.NopCloser(bytes.NewReader(resBody)), Options: opts}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%s: the response does not match the document: %v\n%s", name, err, resBody)
	}
}
