package api

import (
	_ "embed"
	"net/http"
)

// openAPI is the open API's OpenAPI 3.1 document, written by hand; a test
// validates the real server's responses against it.
//
//go:embed openapi.json
var openAPI []byte

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Write(openAPI)
}
