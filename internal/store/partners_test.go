package store_test

import (
	"context"
	"testing"

	"madoguchi/internal/portal"
	"madoguchi/internal/store"
	"madoguchi/internal/store/storetest"
)

func TestPartners(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ctx := context.Background()
	partner, err := s.CreateAccount(ctx, "Reseller", "")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := s.CreateAccount(ctx, "Customer A", "")
	b, _ := s.CreateAccount(ctx, "Customer B", "")

	if err := s.LinkPartner(ctx, partner.ID, partner.ID, store.Audit{}); portal.ErrorCode(err) != portal.EINVALID {
		t.Fatalf("self link: %v", err)
	}
	for _, c := range []int64{b.ID, a.ID, a.ID} {
		if err := s.LinkPartner(ctx, partner.ID, c, store.Audit{Action: "partner.link"}); err != nil {
			t.Fatal(err)
		}
	}
	// Links give nothing until the organization is a partner.
	if got, _ := s.PartnerCustomers(ctx, partner.ID); len(got) != 0 {
		t.Fatalf("not a partner yet, got %v", got)
	}
	if ok, _ := s.Serves(ctx, partner.ID, a.ID); ok {
		t.Fatal("serves before being a partner")
	}
	if err := s.SetAccountPartner(ctx, partner.ID, true, store.Audit{Action: "account.partner"}); err != nil {
		t.Fatal(err)
	}
	p, _ := s.AccountByID(ctx, partner.ID)
	if !p.IsPartner {
		t.Fatal("IsPartner not read back")
	}
	got, err := s.PartnerCustomers(ctx, partner.ID)
	if err != nil || len(got) != 2 || got[0].Name != "Customer A" || got[1].Name != "Customer B" {
		t.Fatalf("customers = %v, %v", got, err)
	}
	if ps, _ := s.PartnersOf(ctx, a.ID); len(ps) != 1 || ps[0].ID != partner.ID {
		t.Fatalf("partners of A = %v", ps)
	}
	if err := s.UnlinkPartner(ctx, partner.ID, a.ID, store.Audit{Action: "partner.unlink"}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Serves(ctx, partner.ID, a.ID); ok {
		t.Fatal("still serves A after unlink")
	}
	if ok, _ := s.Serves(ctx, partner.ID, b.ID); !ok {
		t.Fatal("does not serve B")
	}
	if err := s.SetAccountPartner(ctx, 999999, true, store.Audit{}); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Fatalf("unknown account: %v", err)
	}
	// Two links and one unlink (the repeated link is not audited again), plus the flag.
	log, _ := s.AuditLog(ctx, partner.ID, 10)
	if len(log) != 4 {
		t.Fatalf("audit entries = %d, want 4", len(log))
	}
}
