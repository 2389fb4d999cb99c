package nethttp

import (
	"slices"
	"sync"
)

//netlings:given
// This file is the same in lessons/ and solutions/: it is not an exercise,
// just an in-memory database for the JSON API in api.go.

// Item is what the API stores. The JSON tags are the wire format.
type Item struct {
	ID         int    `json:"id"`
	Name       string `json:"name"`
	PriceCents int    `json:"price_cents"`
}

// Store is a concurrency-safe set of items, numbered from 1.
type Store struct {
	mu    sync.Mutex
	items map[int]Item
	next  int
}

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{items: map[int]Item{}, next: 1}
}

// Add stores it under a new ID and returns it with that ID.
func (s *Store) Add(it Item) Item {
	s.mu.Lock()
	defer s.mu.Unlock()
	it.ID = s.next
	s.next++
	s.items[it.ID] = it
	return it
}

// Get returns the item with id, and whether there is one.
func (s *Store) Get(id int) (Item, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.items[id]
	return it, ok
}

// Delete removes the item with id and reports whether it was there.
func (s *Store) Delete(id int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.items[id]
	delete(s.items, id)
	return ok
}

// List returns every item, by ID.
func (s *Store) List() []Item {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Item, 0, len(s.items))
	for _, it := range s.items {
		out = append(out, it)
	}
	slices.SortFunc(out, func(a, b Item) int { return a.ID - b.ID })
	return out
}
