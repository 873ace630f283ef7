package server

import (
	"errors"
	"testing"

	"madoguchi/internal/portal"
	"madoguchi/internal/store"
)

// The hub passes each change to the streams that may hear of it, asks every
// stream to look again after a reconnection, keeps to its caps and refuses
// streams once closed.
func TestLiveHub(t *testing.T) {
	h := newLiveHub()
	mustSub := func(user, caseID int64, internal bool) *liveSub {
		t.Helper()
		s, err := h.subscribe(user, caseID, internal)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	customer := mustSub(1, 10, false)
	agentCase := mustSub(2, 10, true)
	queue := mustSub(2, 0, true)
	otherCase := mustSub(3, 11, false)
	got := func(s *liveSub) string {
		select {
		case v := <-s.ch:
			return v
		default:
			return ""
		}
	}
	tests := []struct {
		name                                  string
		change                                store.CaseChange
		customer, agentCase, queue, otherCase string
	}{
		{"Public", store.CaseChange{CaseID: 10, Number: "CS0000010"}, "CS0000010", "CS0000010", "CS0000010", ""},
		{"Internal", store.CaseChange{CaseID: 10, Number: "CS0000010", Internal: true}, "", "CS0000010", "CS0000010", ""},
		{"OtherCase", store.CaseChange{CaseID: 11, Number: "CS0000011"}, "", "", "CS0000011", "CS0000011"},
	}
	for _, tc := range tests {
		h.publish(tc.change)
		for name, c := range map[string]struct {
			s    *liveSub
			want string
		}{"customer": {customer, tc.customer}, "agentCase": {agentCase, tc.agentCase}, "queue": {queue, tc.queue}, "otherCase": {otherCase, tc.otherCase}} {
			if v := got(c.s); v != c.want {
				t.Errorf("%s: %s heard %q, want %q", tc.name, name, v, c.want)
			}
		}
	}
	// A burst is coalesced: one pending event is enough for a refetch.
	h.publish(store.CaseChange{CaseID: 11, Number: "CS0000011"})
	h.publish(store.CaseChange{CaseID: 10, Number: "CS0000010"})
	if v := got(queue); v != "CS0000011" {
		t.Errorf("burst: first %q", v)
	}
	if v := got(queue); v != "" {
		t.Errorf("burst: a second pending event %q", v)
	}
	for _, s := range []*liveSub{customer, agentCase, otherCase} {
		got(s)
	}
	h.resync()
	for _, s := range []*liveSub{customer, agentCase, queue, otherCase} {
		if v := got(s); v != liveResync {
			t.Errorf("resync: heard %q", v)
		}
	}
	// A bulk load asks every stream to look again.
	h.publish(store.CaseChange{Bulk: true})
	for _, s := range []*liveSub{customer, agentCase, queue, otherCase} {
		if v := got(s); v != liveResync {
			t.Errorf("bulk: heard %q", v)
		}
	}

	for range livePerUser - 2 {
		mustSub(2, 10, true)
	}
	if _, err := h.subscribe(2, 10, true); portal.ErrorCode(err) != portal.ETOOMANY {
		t.Errorf("a stream past the per-person cap: %v, want ETOOMANY", err)
	}
	h.unsubscribe(queue)
	mustSub(2, 0, true)

	h.close()
	select {
	case <-h.done:
	default:
		t.Error("close did not signal the streams")
	}
	if _, err := h.subscribe(4, 10, false); !errors.Is(err, errLiveClosed) {
		t.Errorf("a stream after close: %v", err)
	}
	h.close() // twice is harmless
}
