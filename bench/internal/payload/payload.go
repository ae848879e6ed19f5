// Package payload makes the JSON messages of the permessage-deflate
// benchmark: a 16 KiB API response and a stream of 200-byte events. They are
// generated from a fixed seed, so every run and every library compresses the
// same bytes, and they read like real traffic (field names repeat, values
// vary) rather than like random or constant data, which would flatter or
// defeat every compressor alike.
package payload

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

const (
	// DocumentSize is the size of Document's message.
	DocumentSize = 16 << 10
	// EventSize is the size of each message of Events.
	EventSize = 200
	// padAlphabet fills the padding fields: opaque tokens like a cursor.
	padAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
)

var (
	firstNames = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Dennis", "Radia", "Leslie", "Niklaus", "Sophie", "Tim", "Hedy"}
	lastNames  = []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Hamilton", "Ritchie", "Perlman", "Lamport", "Wirth", "Wilson", "Berners-Lee", "Lamarr"}
	cities     = []string{"Lisbon", "Athens", "Berlin", "Tokyo", "Nairobi", "Lima", "Toronto", "Sydney", "Oslo", "Seoul"}
	countries  = []string{"PT", "GR", "DE", "JP", "KE", "PE", "CA", "AU", "NO", "KR"}
	roles      = []string{"admin", "editor", "viewer", "billing", "support", "beta", "owner"}
	symbols    = []string{"BTC-USD", "ETH-USD", "SOL-USD", "AAPL", "MSFT", "NVDA", "EUR-USD", "GBP-JPY"}
	venues     = []string{"XNAS", "XNYS", "BATS", "ARCX", "IEXG"}
	sides      = []string{"buy", "sell"}
	epoch      = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)
)

type address struct {
	Street  string `json:"street"`
	City    string `json:"city"`
	Country string `json:"country"`
	Zip     string `json:"zip"`
}

type user struct {
	ID       int      `json:"id"`
	Name     string   `json:"name"`
	Email    string   `json:"email"`
	Active   bool     `json:"active"`
	Created  string   `json:"created"`
	Score    float64  `json:"score"`
	Roles    []string `json:"roles"`
	Address  address  `json:"address"`
	Sessions int      `json:"sessions"`
}

type event struct {
	Type   string  `json:"type"`
	Seq    int     `json:"seq"`
	Symbol string  `json:"symbol"`
	Price  float64 `json:"price"`
	Size   float64 `json:"size"`
	Side   string  `json:"side"`
	TS     string  `json:"ts"`
	Venue  string  `json:"venue"`
	Order  string  `json:"order"`
	Pad    string  `json:"pad"`
}

func pick(r *rand.Rand, s []string) string { return s[r.IntN(len(s))] }

func token(r *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(padAlphabet[r.IntN(len(padAlphabet))])
	}
	return b.String()
}

// Documents returns n different JSON documents of exactly DocumentSize bytes
// each: pages of a user listing, as a REST or GraphQL API would send them.
// They share their structure and vocabulary, not their values, so that a
// compressor keeping its window from one message to the next finds what it
// would find in real traffic, not a copy of the previous message.
func Documents(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = document(rand.New(rand.NewPCG(8, uint64(16+i))), 1+i)
	}
	return out
}

// document returns page number page of the listing.
func document(r *rand.Rand, page int) []byte {
	var users []user
	var listing struct {
		Page   int    `json:"page"`
		Users  []user `json:"users"`
		Cursor string `json:"cursor"`
	}
	for id := 1000 * page; ; id++ {
		first, last := pick(r, firstNames), pick(r, lastNames)
		city := r.IntN(len(cities))
		u := user{
			ID:      id,
			Name:    first + " " + last,
			Email:   strings.ToLower(first+"."+last) + fmt.Sprintf("%d@example.com", r.IntN(100)),
			Active:  r.IntN(4) != 0,
			Created: epoch.Add(-time.Duration(r.Int64N(int64(900 * 24 * time.Hour)))).Format(time.RFC3339),
			Score:   float64(r.IntN(10000)) / 100,
			Roles:   []string{pick(r, roles), pick(r, roles)}[:1+r.IntN(2)],
			Address: address{
				Street:  fmt.Sprintf("%d %s Street", 1+r.IntN(400), pick(r, lastNames)),
				City:    cities[city],
				Country: countries[city],
				Zip:     fmt.Sprintf("%05d", r.IntN(100000)),
			},
			Sessions: r.IntN(500),
		}
		listing.Users = append(users, u)
		b, _ := json.Marshal(listing)
		if len(b) > DocumentSize-64 {
			break
		}
		users = listing.Users
	}
	listing.Page, listing.Users = page, users
	b, _ := json.Marshal(listing)
	listing.Cursor = token(r, DocumentSize-len(b))
	b, _ = json.Marshal(listing)
	return b
}

// Events returns n JSON messages of exactly EventSize bytes each: market
// trades as a streaming API pushes them.
func Events(n int) [][]byte {
	r := rand.New(rand.NewPCG(23, 42))
	out := make([][]byte, n)
	price := map[string]float64{}
	for _, s := range symbols {
		price[s] = 50 + float64(r.IntN(5000))
	}
	for i := range out {
		sym := pick(r, symbols)
		price[sym] *= 1 + (r.Float64()-0.5)/500
		e := event{
			Type:   "trade",
			Seq:    7_340_000 + i,
			Symbol: sym,
			Price:  float64(int(price[sym]*100)) / 100,
			Size:   float64(1+r.IntN(4000)) / 1000,
			Side:   pick(r, sides),
			TS:     epoch.Add(time.Duration(i) * 37 * time.Millisecond).Format("2006-01-02T15:04:05.000Z07:00"),
			Venue:  pick(r, venues),
			Order:  token(r, 12),
		}
		b, _ := json.Marshal(e)
		e.Pad = token(r, EventSize-len(b))
		out[i], _ = json.Marshal(e)
	}
	return out
}
