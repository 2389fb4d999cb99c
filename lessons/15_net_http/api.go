package nethttp

import (
	"net/http"
)

// MaxBodyBytes is the largest request body the API reads. An item is a few
// dozen bytes; without a limit, one client could make the server buffer
// gigabytes into the JSON decoder.
const MaxBodyBytes = 4 << 10

// MaxNameRunes is the longest item name the API accepts, in characters.
const MaxNameRunes = 100

// ANCHOR: routes

// NewAPI returns the HTTP API over s, routed with Go 1.22 ServeMux patterns:
//
//	GET    /             a plain-text greeting (only "/" itself)
//	GET    /items        200, a JSON array of every item ([] when empty)
//	POST   /items        201 with the new item and a Location header;
//	                     400 (invalid JSON or item), 413 (body over
//	                     MaxBodyBytes), 415 (Content-Type missing,
//	                     malformed or not application/json; parameters
//	                     such as "; charset=utf-8" are fine)
//	GET    /items/{id}   200 with the item; 400 (id not a positive
//	                     integer), 404 (no such item)
//	DELETE /items/{id}   204; 400, 404 as for GET
//
// Every error from these handlers is an APIError in JSON. The mux itself
// answers 404 to unknown paths and 405 with an Allow header to a known path
// with the wrong method (PUT /items/1).
//
// An item is valid when its name, without surrounding spaces, has 1 to
// MaxNameRunes characters, its price_cents is not negative and it has no
// id (the server chooses that). A body is valid JSON when it is exactly one
// object with no unknown fields.
func NewAPI(s *Store) http.Handler {
	// TODO: mux := http.NewServeMux(), then one mux.HandleFunc per route
	// above, with patterns like "GET /items/{id}" (r.PathValue("id") gives
	// the id) and "GET /{$}" for the root alone. For POST, wrap r.Body in
	// http.MaxBytesReader, decode with a json.Decoder that disallows
	// unknown fields, and answer errors with writeError (json.go).
	return http.NotFoundHandler()
}

// ANCHOR_END: routes
