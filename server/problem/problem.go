// Package problem writes the server's HTTP errors as RFC 9457 problem
// details, one way for the rooms, the REST API and the event streams.
package problem

import (
	"encoding/json"
	"net/http"
)

// Detail is an RFC 9457 problem detail; Field, when set, names the
// request's field at fault.
type Detail struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Field  string `json:"field,omitempty"`
}

// Write answers with status and a problem detail saying what is wrong.
func Write(w http.ResponseWriter, status int, detail string) {
	WriteField(w, status, detail, "")
}

// WriteField is Write naming the request field at fault.
func WriteField(w http.ResponseWriter, status int, detail, field string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(Detail{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail, Field: field})
}
