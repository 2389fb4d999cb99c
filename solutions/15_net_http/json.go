package nethttp

import (
	"encoding/json"
	"net/http"
)

//netlings:given
// This file is the same in lessons/ and solutions/: helpers for api.go.

// APIError is the JSON body of every error the API answers, for example
//
//	{"error":"invalid item","fields":{"name":"required"}}
//
// Fields maps a field of the request body to what is wrong with it.
type APIError struct {
	Error  string            `json:"error"`
	Fields map[string]string `json:"fields,omitempty"`
}

// writeJSON answers status with v as its JSON body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// The status line is gone already, so an encoding error can only be
	// logged; with the types in this package it cannot happen.
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers status with an APIError body.
func writeError(w http.ResponseWriter, status int, msg string, fields map[string]string) {
	writeJSON(w, status, APIError{Error: msg, Fields: fields})
}
