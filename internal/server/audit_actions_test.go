package server

import (
	"testing"

	"madoguchi/internal/i18n"
	"madoguchi/locales"
)

func TestAuditActionLabels(t *testing.T) {
	bundle, err := i18n.New(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range i18n.Languages {
		l := bundle.Localizer(lang)
		seen := map[string]bool{}
		for _, g := range auditGroups {
			if l.T(g.Key) == g.Key {
				t.Errorf("%s: group %s has no label", lang, g.Key)
			}
			for _, a := range g.Actions {
				if seen[a] {
					t.Errorf("action %s offered twice", a)
				}
				seen[a] = true
				if got := auditActionLabel(l, a); got == a {
					t.Errorf("%s: action %s has no label (%s)", lang, a, auditActionKey(a))
				}
			}
		}
		if got := auditActionLabel(l, "made.up"); got != "made.up" {
			t.Errorf("%s: an unknown action shows as %q, want its name", lang, got)
		}
	}
}

func TestAuditDetails(t *testing.T) {
	bundle, err := i18n.New(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	l := bundle.Localizer("en")
	for _, tc := range []struct {
		name   string
		detail map[string]any
		want   []auditDetail
	}{
		{"Empty", map[string]any{}, []auditDetail{}},
		{"SupportReset", map[string]any{"by": "support", "note": "", "reference": "cs0000042"}, []auditDetail{
			{Label: "Reference", Value: "CS0000042", Link: "/cases/CS0000042"},
			{Label: "By", Value: "Support agent"},
		}},
		{"TextReference", map[string]any{"reference": "REQ-7 (phone)"}, []auditDetail{{Label: "Reference", Value: "REQ-7 (phone)"}}},
		{"CaseChange", map[string]any{"to": "resolved", "case": "CS0000001", "from": "in_progress"}, []auditDetail{
			{Label: "Case", Value: "CS0000001", Link: "/cases/CS0000001"},
			{Label: "From", Value: "In progress"},
			{Label: "To", Value: "Resolved"},
		}},
		{"Kinds", map[string]any{"approver": true, "failures": float64(3), "fields": []any{"priority", "cc"},
			"zzz_unknown": map[string]any{"a": 1.0}}, []auditDetail{
			{Label: "Approver", Value: "yes"},
			{Label: "Failures in a row", Value: "3"},
			{Label: "Fields", Value: "priority, cc"},
			{Label: "zzz_unknown", Value: `{"a":1}`},
		}},
		{"Method", map[string]any{"method": "app", "previous": "email"}, []auditDetail{
			{Label: "Method", Value: "Authenticator app"},
			{Label: "Previous method", Value: "E-mailed code"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := auditDetails(l, tc.detail)
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("item %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}
