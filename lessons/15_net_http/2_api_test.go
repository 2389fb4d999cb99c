package nethttp

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func startAPI(t *testing.T) string {
	t.Helper()
	s := httptest.NewServer(NewAPI(NewStore()))
	t.Cleanup(s.Close)
	return s.URL
}

// apiError decodes an APIError body, failing the test when it is not one.
func apiError(t *testing.T, h http.Header, body string) APIError {
	t.Helper()
	assert.Equal(t, "application/json", h.Get("Content-Type"), "an API error is JSON: use writeError")
	var e APIError
	require.NoError(t, json.Unmarshal([]byte(body), &e), "the error body is not an APIError: %q", body)
	assert.NotEmpty(t, e.Error, "an APIError says what went wrong in its \"error\" field: %q", body)
	return e
}

func TestNewAPI_RoutesByMethodAndPath(t *testing.T) {
	base := startAPI(t)

	status, _, body := do(t, "GET", base+"/", "")
	require.Equal(t, http.StatusOK, status, "GET / is the greeting (pattern \"GET /{$}\")")
	assert.Contains(t, body, "lesson 15")

	status, _, _ = do(t, "GET", base+"/nope", "")
	assert.Equal(t, http.StatusNotFound, status, "GET /nope: \"/\" alone matches every path; \"/{$}\" matches only /")

	status, h, body := do(t, "GET", base+"/items", "")
	require.Equal(t, http.StatusOK, status, "GET /items")
	assert.Equal(t, "application/json", h.Get("Content-Type"))
	assert.JSONEq(t, `[]`, body, "an empty store is the empty array [], not null")

	status, h, body = do(t, "POST", base+"/items", `{"name":"widget","price_cents":250}`)
	require.Equal(t, http.StatusCreated, status, "POST /items with a valid item: %s", body)
	assert.Equal(t, "/items/1", h.Get("Location"), "201 Created says where the new item lives")
	assert.JSONEq(t, `{"id":1,"name":"widget","price_cents":250}`, body)

	status, _, body = do(t, "GET", base+"/items/1", "")
	require.Equal(t, http.StatusOK, status, "GET /items/1")
	assert.JSONEq(t, `{"id":1,"name":"widget","price_cents":250}`, body)

	status, h, body = do(t, "GET", base+"/items/abc", "")
	assert.Equal(t, http.StatusBadRequest, status, "GET /items/abc: the id is not a number")
	apiError(t, h, body)

	for _, id := range []string{"0", "-1", "1.5", "1e3"} {
		status, h, body = do(t, "GET", base+"/items/"+id, "")
		assert.Equal(t, http.StatusBadRequest, status, "GET /items/%s: an id is a positive integer (1, 2, ...)", id)
		apiError(t, h, body)
	}
	status, h, body = do(t, "DELETE", base+"/items/abc", "")
	assert.Equal(t, http.StatusBadRequest, status, "DELETE /items/abc: the id is not a number, as for GET")
	apiError(t, h, body)

	status, _, _ = do(t, "POST", base+"/items", `{"name":"gadget","price_cents":0}`)
	require.Equal(t, http.StatusCreated, status, "POST /items with a valid item (a price of 0 is fine)")
	status, _, body = do(t, "GET", base+"/items", "")
	require.Equal(t, http.StatusOK, status, "GET /items")
	assert.JSONEq(t, `[{"id":1,"name":"widget","price_cents":250},{"id":2,"name":"gadget","price_cents":0}]`, body,
		"GET /items lists every item, by id")

	status, h, body = do(t, "GET", base+"/items/99", "")
	assert.Equal(t, http.StatusNotFound, status, "GET /items/99: no such item")
	apiError(t, h, body)

	status, h, _ = do(t, "PUT", base+"/items/1", `{"name":"x"}`)
	assert.Equal(t, http.StatusMethodNotAllowed, status, "PUT /items/1: the path exists, the method does not")
	assert.Contains(t, h.Get("Allow"), "GET", "a 405 lists the allowed methods in Allow")
	assert.Contains(t, h.Get("Allow"), "DELETE", "a 405 lists the allowed methods in Allow")

	status, _, _ = do(t, "HEAD", base+"/items", "")
	assert.Equal(t, http.StatusOK, status, "a GET route answers HEAD too")

	status, _, body = do(t, "DELETE", base+"/items/1", "")
	assert.Equal(t, http.StatusNoContent, status, "DELETE /items/1")
	assert.Empty(t, body, "204 has no body")
	status, _, _ = do(t, "GET", base+"/items/1", "")
	assert.Equal(t, http.StatusNotFound, status, "GET /items/1 after DELETE")
	status, h, body = do(t, "DELETE", base+"/items/1", "")
	assert.Equal(t, http.StatusNotFound, status, "DELETE /items/1 twice")
	apiError(t, h, body)
}

func TestNewAPI_RejectsInvalidItemsWith400JSON(t *testing.T) {
	base := startAPI(t)
	cases := []struct {
		name, body string
		field      string // the field the APIError must name, if any
	}{
		{"empty name", `{"name":"","price_cents":1}`, "name"},
		{"blank name", `{"name":"   "}`, "name"},
		{"missing name", `{"price_cents":1}`, "name"},
		{"name too long", `{"name":"` + strings.Repeat("é", MaxNameRunes+1) + `"}`, "name"},
		{"negative price", `{"name":"x","price_cents":-1}`, "price_cents"},
		{"client-chosen id", `{"id":7,"name":"x"}`, "id"},
		{"unknown field", `{"name":"x","colour":"red"}`, ""},
		{"wrong type", `{"name":12}`, ""},
		{"truncated JSON", `{"name":`, ""},
		{"two objects", `{"name":"a"}{"name":"b"}`, ""},
		{"an array", `[{"name":"a"}]`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, h, body := do(t, "POST", base+"/items", tc.body)
			require.Equal(t, http.StatusBadRequest, status, "POST /items %s", tc.body)
			e := apiError(t, h, body)
			if tc.field != "" {
				assert.Contains(t, e.Fields, tc.field, "the APIError's fields must say what is wrong with %q: %s", tc.field, body)
			}
		})
	}

	// A name of exactly MaxNameRunes characters is fine: the limit counts
	// characters, not bytes.
	status, _, body := do(t, "POST", base+"/items", `{"name":"`+strings.Repeat("é", MaxNameRunes)+`"}`)
	assert.Equal(t, http.StatusCreated, status, "a %d-character name: %s", MaxNameRunes, body)

	req, err := http.NewRequestWithContext(testContext(t), "POST", base+"/items", strings.NewReader(`{"name":"x"}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "text/plain")
	resp, err := testClient().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode, "a body that is not application/json")

	status, _, body = do(t, "GET", base+"/items", "")
	require.Equal(t, http.StatusOK, status)
	var items []Item
	require.NoError(t, json.Unmarshal([]byte(body), &items))
	assert.Len(t, items, 1, "only the valid item may be stored: %s", body)
}

func TestNewAPI_Answers413ToAnOversizedBody(t *testing.T) {
	base := startAPI(t)
	huge := strings.Repeat("a", 1<<20)

	status, h, body := do(t, "POST", base+"/items", `{"name":"`+huge+`"}`)
	assert.Equal(t, http.StatusRequestEntityTooLarge, status,
		"a 1 MiB item: wrap the body in http.MaxBytesReader and look for *http.MaxBytesError")
	apiError(t, h, body)

	status, _, _ = do(t, "POST", base+"/items", `{"name":"x"}`+strings.Repeat(" ", 1<<20))
	assert.Equal(t, http.StatusRequestEntityTooLarge, status, "a small item followed by 1 MiB of spaces is still a body over the limit")

	status, _, _ = do(t, "POST", base+"/items", `{"name":"after the big ones"}`)
	assert.Equal(t, http.StatusCreated, status, "the server keeps serving after refusing big bodies")
}

// ANCHOR: mediatype
func TestNewAPI_ChecksTheMediaTypeNotTheWholeHeader(t *testing.T) {
	base := startAPI(t)
	post := func(t *testing.T, contentType string) (int, http.Header, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(testContext(t), "POST", base+"/items", strings.NewReader(`{"name":"x"}`))
		require.NoError(t, err)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err := testClient().Do(req)
		require.NoError(t, err, "POST /items: no response")
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, resp.Header, string(b)
	}

	// A media type may carry parameters, and its type and subtype are
	// case-insensitive (RFC 9110 §8.3.1): this is all application/json.
	for _, ct := range []string{
		"application/json; charset=utf-8",
		"application/json;charset=UTF-8",
		"Application/JSON; charset=utf-8",
	} {
		t.Run("accepts "+ct, func(t *testing.T) {
			status, _, body := post(t, ct)
			assert.Equal(t, http.StatusCreated, status,
				"Content-Type %q is application/json with a parameter: compare the media type that mime.ParseMediaType returns, not the whole header (%s)", ct, body)
		})
	}

	for _, ct := range []string{
		"",
		"text/plain",
		"text/plain; charset=utf-8",
		"application/jsonx",
		"application/json-patch+json",
		"application/json/extra",
		"application/json, text/plain",
		"application/json; charset",
		"application/json; charset=utf-8; charset=latin1",
	} {
		t.Run(fmt.Sprintf("refuses %q", ct), func(t *testing.T) {
			status, h, body := post(t, ct)
			assert.Equal(t, http.StatusUnsupportedMediaType, status,
				"Content-Type %q is not a well-formed application/json: answer 415. Use mime.ParseMediaType, refuse when it returns an error, "+
					"and compare the media type it returns (a prefix test lets application/jsonx in)", ct)
			if status == http.StatusUnsupportedMediaType {
				apiError(t, h, body)
			}
		})
	}
}

// ANCHOR_END: mediatype
