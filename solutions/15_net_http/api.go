package nethttp

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
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
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", home)
	mux.HandleFunc("GET /items", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.List())
	})
	mux.HandleFunc("POST /items", func(w http.ResponseWriter, r *http.Request) {
		createItem(s, w, r)
	})
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, ok := itemID(w, r)
		if !ok {
			return
		}
		it, found := s.Get(id)
		if !found {
			writeError(w, http.StatusNotFound, fmt.Sprintf("no item %d", id), nil)
			return
		}
		writeJSON(w, http.StatusOK, it)
	})
	mux.HandleFunc("DELETE /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, ok := itemID(w, r)
		if !ok {
			return
		}
		if !s.Delete(id) {
			writeError(w, http.StatusNotFound, fmt.Sprintf("no item %d", id), nil)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

// ANCHOR_END: routes

func home(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "netlings lesson 15: try GET /items\n")
}

// itemID parses the {id} wildcard. On a bad id it answers 400 and returns false.
func itemID(w http.ResponseWriter, r *http.Request) (int, bool) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil || id < 1 {
		writeError(w, http.StatusBadRequest, "id must be a positive integer", nil)
		return 0, false
	}
	return id, true
}

// ANCHOR: create

func createItem(s *Store, w http.ResponseWriter, r *http.Request) {
	// The media type, not the whole header: "application/json;
	// charset=utf-8" is JSON too. A header that does not parse is refused.
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "send the item as Content-Type: application/json", nil)
		return
	}
	// MaxBytesReader makes Read fail after MaxBodyBytes and tells the server
	// to close the connection after this response, so the rest of a huge
	// body is never read.
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	var it Item
	if status, msg := decodeJSON(r.Body, &it); status != 0 {
		writeError(w, status, msg, nil)
		return
	}
	if problems := validate(it); len(problems) > 0 {
		writeError(w, http.StatusBadRequest, "invalid item", problems)
		return
	}
	it.Name = strings.TrimSpace(it.Name)
	it = s.Add(it)
	w.Header().Set("Location", fmt.Sprintf("/items/%d", it.ID))
	writeJSON(w, http.StatusCreated, it)
}

// decodeJSON decodes exactly one JSON object from body into v. It returns
// 0 on success, or the status and message to answer with.
func decodeJSON(body io.Reader, v any) (status int, msg string) {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields() // a typo in a field name is an error, not a silent zero
	err := dec.Decode(v)
	if err == nil { // the body must end after the object
		if err = dec.Decode(&struct{}{}); err == io.EOF {
			err = nil
		} else if err == nil {
			err = errors.New("more than one JSON value")
		}
	}
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		return 0, ""
	case errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", tooBig.Limit)
	default:
		return http.StatusBadRequest, "malformed JSON: " + err.Error()
	}
}

// validate returns what is wrong with it, by JSON field name.
func validate(it Item) map[string]string {
	problems := map[string]string{}
	switch name := strings.TrimSpace(it.Name); {
	case name == "":
		problems["name"] = "required"
	case utf8.RuneCountInString(name) > MaxNameRunes:
		problems["name"] = fmt.Sprintf("at most %d characters", MaxNameRunes)
	}
	if it.PriceCents < 0 {
		problems["price_cents"] = "must not be negative"
	}
	if it.ID != 0 {
		problems["id"] = "chosen by the server: leave it out"
	}
	return problems
}

// ANCHOR_END: create
