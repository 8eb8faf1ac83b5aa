package problem

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
)

func TestWriteField(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteField(rec, 422, `no device "ghost"`, "device")
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" || rec.Code != 422 {
		t.Fatalf("%d %s", rec.Code, ct)
	}
	var d map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	if d["type"] != "about:blank" || d["title"] != "Unprocessable Entity" || d["status"] != 422.0 || d["detail"] != `no device "ghost"` || d["field"] != "device" {
		t.Errorf("problem detail %v", d)
	}
	rec = httptest.NewRecorder()
	Write(rec, 404, "no room")
	json.Unmarshal(rec.Body.Bytes(), &d)
	if _, ok := map[string]any(nil)["field"]; ok || rec.Code != 404 {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}
	var d2 map[string]any
	json.Unmarshal(rec.Body.Bytes(), &d2)
	if _, has := d2["field"]; has {
		t.Errorf("a problem without a field says field: %v", d2)
	}
}
