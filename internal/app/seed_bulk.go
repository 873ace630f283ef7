package app

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"madoguchi/internal/portal"
)

// seed bulk loads benchmark data with COPY. It writes the tables directly
// instead of going through the store's one-transaction-per-change methods: a
// million cases through CreateCase would take hours.
//
// Ids and case numbers. COPY, unlike INSERT, accepts explicit values for
// GENERATED ALWAYS identity columns (pg_dump's restores rely on this), so the
// loader takes the values from the sequences itself and writes ids it already
// knows: it never reads ids back. Where the count is known before any COPY
// starts (organizations, users, and all N case numbers and case ids), it
// reserves one block per sequence: in a short transaction that locks the table
// against writers (LOCK … IN EXCLUSIVE MODE; readers go on), it moves the
// sequence past the block with setval(nextval() + n - 1) and commits. Any
// other INSERT needs the table's ROW EXCLUSIVE lock before it evaluates its
// defaults, so no one draws a value inside the block, and the application's
// own inserts continue after it. Event ids are known only batch by batch,
// while the loader's own COPYs hold ROW EXCLUSIVE on case_events (a table lock
// would wait for them), so they are drawn with nextval over generate_series —
// no lock, half a microsecond a value — and come back as runs of consecutive
// ids. Each batch (cases and their events) is one transaction, and two batches
// are copied at once.
//
// Data shape. About one organization per 500 cases (at least 3), with
// Zipf-like sizes; contacts per organization grow with its cases (3 to
// dozens); one contact (not an account administrator, never CC'd) opens
// min(N/100, 1000) cases and every other contact at most 90% of that, so the
// last line names a user with exactly that many. Cases are numbered in
// creation order over three years; old ones are mostly closed and recent ones
// mostly open (the open queue is ~12% of the cases), every sub-status appears,
// open cases saw activity in the last weeks, and cases waiting on the customer
// started waiting less than ten days ago, so the auto-close job does not close
// them all when the server starts. Timelines are walked through portal.Next:
// every event is a transition the state machine allows.

const (
	bulkSpan         = 3 * 365 * 24 * time.Hour
	bulkMaxComments  = 50
	bulkDefaultBatch = 5000
	bulkNewAgents    = 8
	bulkWorkers      = 2 // COPY connections at once
	bulkMaxNumber    = 9999999
	bulkDay          = 24 * time.Hour
)

func (a *App) seedBulk(ctx context.Context, args []string) error {
	fs := a.flags("seed bulk")
	n := fs.Int("cases", 0, "number of cases to add (required)")
	batch := fs.Int("batch", bulkDefaultBatch, "cases per COPY transaction")
	seed := fs.Uint64("seed", 0, "random seed, for a repeatable data set (0: random)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *n < 1 || *n > bulkMaxNumber {
		return fmt.Errorf("%w: --cases must be between 1 and %d", errUsage, bulkMaxNumber)
	}
	if *batch < 1 || *batch > 100000 {
		return fmt.Errorf("%w: --batch must be between 1 and 100000", errUsage)
	}
	_, pool, err := a.database(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	hash, err := a.hasher().Hash(DemoPassword)
	if err != nil {
		return err
	}
	s := *seed
	if s == 0 {
		var r [8]byte
		if _, err := rand.Read(r[:]); err != nil {
			return err
		}
		s = binary.LittleEndian.Uint64(r[:])
	}
	b := &bulk{
		pool: pool, out: a.stdout(), log: a.stderr(), n: *n, batch: *batch, hash: hash,
		rng: mrand.New(mrand.NewPCG(s, s^0x9e3779b97f4a7c15)),
	}
	return b.run(ctx)
}

type bulk struct {
	pool     *pgxpool.Pool
	out, log io.Writer
	rng      *mrand.Rand
	n, batch int
	hash     string
	began    time.Time
	now      time.Time
	first    time.Time // the oldest case's creation
	prefix   string    // makes this run's identifiers and addresses unique
	terms    int32     // the current terms version, accepted by every bulk user

	products    []bulkProduct
	categories  []bulkCategory
	catalogNote string
	agents      []bulkAgent
	newAgents   int
	orgs        []bulkOrg
	contacts    []bulkContact
	openers     []int32 // contact index of each case, in case order
	topCases    int

	events, comments int64
}

type bulkProduct struct {
	id             int64
	name           string
	versions, oses []string
}

type bulkCategory struct {
	id       int64
	group    int // index into bulkSubjectGroups
	problems []int64
}

type bulkAgent struct {
	id     int64
	name   string
	sign   string // how they name themselves in a Japanese reply
	nameEN string // and in an English one
	weight int
}

type bulkOrg struct {
	id             int64
	identifier     string
	name, nameJA   string
	nameEN, domain string
	created        time.Time
	contacts       []int32
	ccPool         []int32 // contacts that may be CC'd
	products       []int
}

type bulkContact struct {
	id              int64
	org             int32
	email, name     string
	greetJA         string // "山田 様"
	greetEN         string // "Taro"
	lang            string
	tz, country     string
	phone, mobile   string
	admin, approver bool
	quota           int
	created         time.Time
}

func (b *bulk) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "seed bulk: "+format+"\n", args...)
}

func (b *bulk) run(ctx context.Context) error {
	b.began = time.Now()
	b.now = b.began.Truncate(time.Second)
	b.first = b.now.Add(-bulkSpan)
	if err := b.prepare(ctx); err != nil {
		return err
	}
	if err := b.catalog(ctx); err != nil {
		return err
	}
	b.plan()
	if err := b.people(ctx); err != nil {
		return err
	}
	b.logf("run %s: %d organizations, %d contacts, %d agents, %d products (%s); %d cases in batches of %d",
		b.prefix, len(b.orgs), len(b.contacts), len(b.agents), len(b.products), b.catalogNote, b.n, b.batch)
	if err := b.load(ctx); err != nil {
		return err
	}
	return b.finish(ctx)
}

// prepare checks that the case numbers fit and picks the run's prefix.
func (b *bulk) prepare(ctx context.Context) error {
	var next int64
	if err := b.pool.QueryRow(ctx, `SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END
		FROM case_number_seq`).Scan(&next); err != nil {
		return fmt.Errorf("seed bulk: case numbers: %w", err)
	}
	if next+int64(b.n)-1 > bulkMaxNumber {
		return fmt.Errorf("seed bulk: %d more cases would pass CS%07d (the next number is CS%07d)", b.n, bulkMaxNumber, next)
	}
	if err := b.pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM terms_versions WHERE published_at <= now()`).
		Scan(&b.terms); err != nil {
		return fmt.Errorf("seed bulk: terms: %w", err)
	}
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	for range 100 {
		var r [4]byte
		for i := range r {
			r[i] = alphabet[b.rng.IntN(len(alphabet))]
		}
		var taken bool
		if err := b.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE identifier LIKE $1)
			OR EXISTS (SELECT 1 FROM users WHERE email LIKE $2)`,
			"B"+string(r[:])+"%", "%."+strings.ToLower(string(r[:]))+".example").Scan(&taken); err != nil {
			return fmt.Errorf("seed bulk: %w", err)
		}
		if !taken {
			b.prefix = string(r[:])
			return nil
		}
	}
	return errors.New("seed bulk: no free run prefix")
}

// catalog reuses the active products and the categories there are, and
// creates a believable catalog where there is none.
func (b *bulk) catalog(ctx context.Context) error {
	loadProducts := func() error {
		rows, err := b.pool.Query(ctx, `SELECT id, name, versions, oses FROM products WHERE active ORDER BY id`)
		if err != nil {
			return err
		}
		b.products, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (bulkProduct, error) {
			var p bulkProduct
			err := r.Scan(&p.id, &p.name, &p.versions, &p.oses)
			return p, err
		})
		return err
	}
	if err := loadProducts(); err != nil {
		return fmt.Errorf("seed bulk: products: %w", err)
	}
	b.catalogNote = "existing catalog"
	if len(b.products) == 0 {
		b.catalogNote = "catalog created"
		for _, p := range bulkDefaultProducts {
			if _, err := b.pool.Exec(ctx, `INSERT INTO products (name, versions, oses) VALUES ($1, $2, $3)
				ON CONFLICT (name) DO NOTHING`, p.name, p.versions, p.oses); err != nil {
				return fmt.Errorf("seed bulk: create product %s: %w", p.name, err)
			}
		}
		if err := loadProducts(); err != nil {
			return fmt.Errorf("seed bulk: products: %w", err)
		}
		if len(b.products) == 0 {
			return errors.New("seed bulk: no active products (products with the default names exist but are inactive)")
		}
	}

	loadCategories := func() error {
		rows, err := b.pool.Query(ctx, `SELECT c.id, c.name_en,
				coalesce(array_agg(p.id ORDER BY p.sort, p.id) FILTER (WHERE p.id IS NOT NULL), '{}')
			FROM categories c LEFT JOIN problems p ON p.category_id = c.id
			GROUP BY c.id, c.sort ORDER BY c.sort, c.id`)
		if err != nil {
			return err
		}
		i := 0
		b.categories, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (bulkCategory, error) {
			var c bulkCategory
			var name string
			err := r.Scan(&c.id, &name, &c.problems)
			c.group = bulkSubjectGroupOf(name, i)
			i++
			return c, err
		})
		return err
	}
	if err := loadCategories(); err != nil {
		return fmt.Errorf("seed bulk: categories: %w", err)
	}
	if len(b.categories) > 0 {
		return nil
	}
	err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		for i, g := range bulkSubjectGroups {
			var id int64
			if err := tx.QueryRow(ctx, `INSERT INTO categories (name_en, name_ja, sort) VALUES ($1, $2, $3) RETURNING id`,
				g.category.en, g.category.ja, (i+1)*10).Scan(&id); err != nil {
				return err
			}
			for j, p := range g.problems {
				if _, err := tx.Exec(ctx, `INSERT INTO problems (category_id, name_en, name_ja, sort) VALUES ($1, $2, $3, $4)`,
					id, p.en, p.ja, (j+1)*10); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("seed bulk: create categories: %w", err)
	}
	return loadCategories()
}

// plan decides the organizations, their contacts and how many cases each
// contact opens, and deals the cases out in a random order.
func (b *bulk) plan() {
	b.topCases = max(1, min(b.n/100, 1000))
	capOthers := max(1, b.topCases*9/10)
	nOrg := max(3, b.n/500)
	weights := make([]float64, nOrg)
	for i := range weights {
		weights[i] = 1 / math.Sqrt(float64(i+1))
	}
	orgCases := bulkApportion(b.n-b.topCases, weights)

	names := map[string]int{}
	for i := range nOrg {
		o := b.newOrg(i, names)
		cases := orgCases[i]
		k := int(math.Ceil(4*float64(cases)/float64(b.topCases))) + b.rng.IntN(4)
		k = max(3, min(k, 60))
		for k*capOthers < cases {
			k++
		}
		w := make([]float64, k)
		for j := range w {
			w[j] = 1 / math.Pow(float64(j+1), 0.7)
		}
		quotas := bulkSpread(cases, w, capOthers)
		locals := map[string]bool{}
		for j := range k {
			c := b.newContact(int32(i), o.domain, locals)
			c.quota = quotas[j]
			c.admin = j == 0
			c.approver = j == 0 || (j == 1 && k > 4)
			o.contacts = append(o.contacts, int32(len(b.contacts)))
			b.contacts = append(b.contacts, c)
		}
		o.ccPool = o.contacts
		if i == 0 {
			// The contact with the most cases: a plain contact of the largest
			// organization, never CC'd, so "my cases" lists exactly theirs.
			c := b.newContact(0, o.domain, locals)
			c.quota = b.topCases
			o.contacts = append(o.contacts[:len(o.contacts):len(o.contacts)], int32(len(b.contacts)))
			b.contacts = append(b.contacts, c)
		}
		b.orgs = append(b.orgs, o)
	}
	b.openers = make([]int32, 0, b.n)
	for ci := range b.contacts {
		c := &b.contacts[ci]
		c.created = b.orgs[c.org].created.Add(time.Duration(b.rng.Int64N(int64(60 * bulkDay))))
		for range c.quota {
			b.openers = append(b.openers, int32(ci))
		}
	}
	b.rng.Shuffle(len(b.openers), func(i, j int) { b.openers[i], b.openers[j] = b.openers[j], b.openers[i] })
}

// bulkApportion splits total in proportion to weights (largest remainder).
func bulkApportion(total int, weights []float64) []int {
	var sum float64
	for _, w := range weights {
		sum += w
	}
	out := make([]int, len(weights))
	rem := make([]float64, len(weights))
	left := total
	for i, w := range weights {
		q := float64(total) * w / sum
		out[i] = int(q)
		rem[i] = q - float64(out[i])
		left -= out[i]
	}
	for ; left > 0; left-- {
		best := 0
		for i := range rem {
			if rem[i] > rem[best] {
				best = i
			}
		}
		out[best]++
		rem[best] = -1
	}
	return out
}

// bulkSpread splits total by weights with no share above limit, giving the excess
// to the others (water filling). len(weights)*limit must be at least total.
func bulkSpread(total int, weights []float64, limit int) []int {
	out := make([]int, len(weights))
	fixed := make([]bool, len(weights))
	left := total
	for {
		var sum float64
		for i, w := range weights {
			if !fixed[i] {
				sum += w
			}
		}
		if sum == 0 {
			return out
		}
		capped := false
		for i, w := range weights {
			if !fixed[i] && float64(left)*w/sum >= float64(limit) {
				out[i], fixed[i] = limit, true
				left -= limit
				capped = true
			}
		}
		if !capped {
			break
		}
	}
	var sum float64
	for i, w := range weights {
		if !fixed[i] {
			sum += w
		}
	}
	rest := left
	for i, w := range weights {
		if !fixed[i] {
			out[i] = int(float64(rest) * w / sum)
			left -= out[i]
		}
	}
	for i := 0; left > 0; i = (i + 1) % len(out) {
		if out[i] < limit {
			out[i]++
			left--
		}
	}
	return out
}

func (b *bulk) newOrg(i int, names map[string]int) bulkOrg {
	r := b.rng
	var o bulkOrg
	var slug string
	if r.IntN(5) == 0 {
		w := bulkForeignCompanies[r.IntN(len(bulkForeignCompanies))]
		o.nameEN = w.en + " " + bulkForeignSuffixes[r.IntN(len(bulkForeignSuffixes))]
		o.nameJA = w.ja
		o.name = o.nameEN
		slug = w.slug
	} else {
		p := bulkCompanyPrefixes[r.IntN(len(bulkCompanyPrefixes))]
		ind := bulkIndustries[r.IntN(len(bulkIndustries))]
		if r.IntN(3) == 0 {
			o.nameJA = "株式会社" + p.ja + ind.ja
		} else {
			o.nameJA = p.ja + ind.ja + "株式会社"
		}
		o.nameEN = p.en + " " + ind.en + " Co., Ltd."
		o.name = o.nameJA + " (" + o.nameEN + ")"
		slug = strings.ToLower(p.en) + "-" + ind.slug
	}
	if k := names[o.name]; k > 0 {
		br := bulkBranches[(k-1)%len(bulkBranches)]
		names[o.name]++
		o.nameJA += " " + br.ja + "支社"
		if o.name == o.nameEN {
			o.name += " " + br.en
		} else {
			o.name = o.nameJA + " (" + o.nameEN + ", " + br.en + ")"
		}
	} else {
		names[o.name] = 1
	}
	o.identifier = fmt.Sprintf("B%s%05d", b.prefix, i)
	o.domain = fmt.Sprintf("%s-%d.%s.example", slug, i, strings.ToLower(b.prefix))
	o.created = b.first.Add(-time.Duration(60+r.IntN(700)) * bulkDay)
	perm := r.Perm(len(b.products))
	o.products = perm[:min(len(perm), 1+r.IntN(3))]
	return o
}

func (b *bulk) newContact(org int32, domain string, locals map[string]bool) bulkContact {
	r := b.rng
	c := bulkContact{org: org, phone: fmt.Sprintf("03-%04d-%04d", r.IntN(10000), r.IntN(10000))}
	if r.IntN(2) == 0 {
		c.mobile = fmt.Sprintf("090-%04d-%04d", r.IntN(10000), r.IntN(10000))
	}
	sur := bulkSurnames[r.IntN(len(bulkSurnames))]
	giv := bulkGivenNames[r.IntN(len(bulkGivenNames))]
	local := giv.en + "." + sur.en
	switch x := r.IntN(8); {
	case x < 6: // Japanese, reads Japanese
		c.name, c.lang = sur.ja+" "+giv.ja, "ja"
		c.greetJA, c.greetEN = sur.ja+" 様", bulkCapitalize(giv.en)
		c.tz, c.country = "Asia/Tokyo", "JP"
	case x < 7: // Japanese, prefers English
		c.name, c.lang = bulkCapitalize(giv.en)+" "+bulkCapitalize(sur.en), "en"
		c.greetJA, c.greetEN = sur.ja+" 様", bulkCapitalize(giv.en)
		c.tz, c.country = "Asia/Tokyo", "JP"
	default: // abroad
		g := bulkForeignGiven[r.IntN(len(bulkForeignGiven))]
		s := bulkForeignSurnames[r.IntN(len(bulkForeignSurnames))]
		loc := bulkAbroad[r.IntN(len(bulkAbroad))]
		c.name, c.lang = g+" "+s, "en"
		c.greetJA, c.greetEN = s+" 様", g
		c.tz, c.country = loc.tz, loc.country
		c.phone = loc.phone + fmt.Sprintf(" %03d %04d", r.IntN(1000), r.IntN(10000))
		c.mobile = ""
		local = strings.ToLower(g + "." + s)
	}
	if locals[local] {
		for k := 2; ; k++ {
			if l := fmt.Sprintf("%s%d", local, k); !locals[l] {
				local = l
				break
			}
		}
	}
	locals[local] = true
	c.email = local + "@" + domain
	return c
}

func bulkCapitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// reserve takes a block of n values from each sequence in seqs, which only
// inserts into table draw from, and returns the first value of each block.
func (b *bulk) reserve(ctx context.Context, table string, seqs []string, n int) ([]int64, error) {
	firsts := make([]int64, len(seqs))
	err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE `+table+` IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		for i, seq := range seqs {
			var last int64
			if err := tx.QueryRow(ctx, `SELECT setval($1::regclass, nextval($1::regclass) + $2::bigint - 1)`,
				seq, n).Scan(&last); err != nil {
				return fmt.Errorf("%s: %w", seq, err)
			}
			firsts[i] = last - int64(n) + 1
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("seed bulk: reserve %d ids for %s: %w", n, table, err)
	}
	return firsts, nil
}

// people writes the organizations, contacts and new agents, and loads the
// agents there already are.
func (b *bulk) people(ctx context.Context) error {
	seqs, err := b.sequences(ctx)
	if err != nil {
		return err
	}
	ids, err := b.reserve(ctx, "accounts", []string{seqs.accountIDs}, len(b.orgs))
	if err != nil {
		return err
	}
	for i := range b.orgs {
		b.orgs[i].id = ids[0] + int64(i)
	}

	type agentSpec struct{ sur, giv bulkPair }
	var specs []agentSpec
	for range bulkNewAgents {
		specs = append(specs, agentSpec{bulkSurnames[b.rng.IntN(len(bulkSurnames))], bulkGivenNames[b.rng.IntN(len(bulkGivenNames))]})
	}
	ids, err = b.reserve(ctx, "users", []string{seqs.userIDs}, len(b.contacts)+len(specs))
	if err != nil {
		return err
	}
	next := ids[0]
	for ci := range b.contacts {
		b.contacts[ci].id = next
		next++
	}

	rows := make([][]any, 0, len(b.contacts)+len(specs))
	enrolled := b.now.Add(-time.Hour)
	for _, c := range b.contacts {
		rows = append(rows, []any{c.id, b.orgs[c.org].id, c.email, c.name, "customer", c.approver, c.admin,
			"active", b.hash, "email", enrolled, b.terms, enrolled, c.tz, c.country, c.phone, c.mobile,
			"portal", c.lang, c.created, c.created})
	}
	for i, s := range specs {
		a := bulkAgent{id: next, name: s.sur.ja + " " + s.giv.ja, sign: s.sur.ja,
			nameEN: bulkCapitalize(s.giv.en) + " " + bulkCapitalize(s.sur.en), weight: 1 + b.rng.IntN(4)}
		email := fmt.Sprintf("%s.%s.%d.%s@support.madoguchi.example", s.giv.en, s.sur.en, i+1, strings.ToLower(b.prefix))
		created := b.first.Add(-time.Duration(b.rng.IntN(300)) * bulkDay)
		rows = append(rows, []any{a.id, nil, email, a.name, "agent", false, false,
			"active", b.hash, "email", enrolled, b.terms, enrolled, "Asia/Tokyo", "JP", "03-5555-0100", "",
			"portal", "ja", created, created})
		b.agents = append(b.agents, a)
		next++
	}
	b.newAgents = len(specs)

	err = pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		accRows := make([][]any, len(b.orgs))
		for i, o := range b.orgs {
			accRows[i] = []any{o.id, o.identifier, o.name, true, o.created}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"accounts"},
			[]string{"id", "identifier", "name", "mfa_required", "created_at"}, pgx.CopyFromRows(accRows)); err != nil {
			return fmt.Errorf("accounts: %w", err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"users"},
			[]string{"id", "account_id", "email", "name", "role", "is_approver", "is_account_admin",
				"status", "password_hash", "otp_method", "mfa_enrolled_at", "terms_version", "terms_accepted_at",
				"time_zone", "country_code", "phone", "mobile", "contact_method", "language", "created_at", "updated_at"},
			pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("users: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("seed bulk: %w", err)
	}

	// Agents who already exist share the work (the demo agent gets a queue).
	existing, err := b.pool.Query(ctx, `SELECT id, name FROM users
		WHERE role = 'agent' AND status = 'active' AND NOT (id = ANY($1)) ORDER BY id`, bulkAgentIDs(b.agents))
	if err != nil {
		return fmt.Errorf("seed bulk: agents: %w", err)
	}
	old, err := pgx.CollectRows(existing, func(r pgx.CollectableRow) (bulkAgent, error) {
		var a bulkAgent
		err := r.Scan(&a.id, &a.name)
		a.sign, a.nameEN, a.weight = a.name, a.name, 2
		return a, err
	})
	if err != nil {
		return fmt.Errorf("seed bulk: agents: %w", err)
	}
	b.agents = append(b.agents, old...)
	return nil
}

func bulkAgentIDs(as []bulkAgent) []int64 {
	ids := make([]int64, len(as))
	for i, a := range as {
		ids[i] = a.id
	}
	return ids
}

// A batch is a run of consecutive cases with their timelines. Case and event
// positions are relative to the batch; the loader adds the reserved bases.
type bulkBatch struct {
	from   int // index of the first case
	cases  []bulkCaseRow
	events []bulkEventRow
	// The batch's first case number and case id, and its event ids.
	number, caseID int64
	eventIDs       []bulkIDRun
}

type bulkCaseRow struct {
	accountID, openedBy int64
	helpType            string
	productID           int64
	productVersion, os  string
	categoryID          int64
	problemID           int64
	priority            int16
	subject             string
	description         string
	impact              string
	cc                  []string
	sub                 portal.SubStatus
	assignedTo          int64
	version             int32
	waitingSince        time.Time
	reminderSent        time.Time
	createdAt           time.Time
	updatedAt           time.Time
	closedAt            time.Time
}

type bulkEventRow struct {
	caseIdx  int32
	at       time.Time
	actorID  int64
	kind     string
	action   portal.Action
	body     string
	internal bool
	from, to portal.SubStatus
}

// load reserves every case number and case id, generates batches in one
// goroutine (which also draws each batch's event ids) and copies them on
// bulkWorkers connections at once: the server does the work, and with two
// connections it uses both cores of a small machine. A batch's cases and
// events are one transaction.
func (b *bulk) load(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	seqs, err := b.sequences(ctx)
	if err != nil {
		return err
	}
	// Every case number and case id at once, before any COPY holds a lock
	// on cases that the reservation would wait for.
	firsts, err := b.reserve(ctx, "cases", []string{"case_number_seq", seqs.caseIDs}, b.n)
	if err != nil {
		return err
	}
	batches := make(chan *bulkBatch)
	errs := make(chan error, bulkWorkers+1)
	go func() {
		defer close(batches)
		g := b.newGenerator()
		for from := 0; from < b.n; from += b.batch {
			bt, err := g.batch(from, min(from+b.batch, b.n))
			if err == nil {
				bt.number, bt.caseID = firsts[0]+int64(from), firsts[1]+int64(from)
				bt.eventIDs, err = b.draw(ctx, seqs.eventIDs, len(bt.events))
			}
			if err != nil {
				errs <- err
				return
			}
			select {
			case batches <- bt:
			case <-ctx.Done():
				return
			}
		}
	}()
	copied := make(chan *bulkBatch)
	var wg sync.WaitGroup
	for range bulkWorkers {
		wg.Go(func() {
			for bt := range batches {
				if err := b.copyBatch(ctx, bt); err != nil {
					errs <- err
					cancel()
					return
				}
				select {
				case copied <- bt:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	go func() {
		wg.Wait()
		close(copied)
	}()

	done := 0
	last := time.Now()
	for bt := range copied {
		done += len(bt.cases)
		b.events += int64(len(bt.events))
		for i := range bt.events {
			if k := bt.events[i].kind; k == "comment" || k == "internal_note" {
				b.comments++
			}
		}
		if time.Since(last) > 5*time.Second || done == b.n {
			last = time.Now()
			el := time.Since(b.began)
			eta := time.Duration(float64(el) / float64(done) * float64(b.n-done))
			b.logf("%d/%d cases, %d events, %s elapsed, about %s left",
				done, b.n, b.events, el.Round(time.Second), eta.Round(time.Second))
		}
	}
	select {
	case err := <-errs:
		return err
	default:
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if done != b.n {
		return fmt.Errorf("seed bulk: loaded %d of %d cases", done, b.n)
	}
	return nil
}

// bulkSeqs are the sequences behind the identity columns.
type bulkSeqs struct{ accountIDs, userIDs, caseIDs, eventIDs string }

func (b *bulk) sequences(ctx context.Context) (bulkSeqs, error) {
	var s bulkSeqs
	err := b.pool.QueryRow(ctx, `SELECT pg_get_serial_sequence('accounts', 'id'), pg_get_serial_sequence('users', 'id'),
			pg_get_serial_sequence('cases', 'id'), pg_get_serial_sequence('case_events', 'id')`).
		Scan(&s.accountIDs, &s.userIDs, &s.caseIDs, &s.eventIDs)
	if err != nil {
		return s, fmt.Errorf("seed bulk: sequences: %w", err)
	}
	return s, nil
}

var (
	bulkCaseColumns = []string{"id", "number", "account_id", "opened_by", "help_type", "product_id",
		"product_version", "os", "category_id", "problem_id", "priority", "subject", "description",
		"business_impact", "cc", "status", "sub_status", "assigned_to", "version", "waiting_since",
		"reminder_sent_at", "created_at", "updated_at", "closed_at", "response_due", "response_warned_at"}
	bulkEventColumns = []string{"id", "case_id", "at", "actor_id", "kind", "action", "body", "internal",
		"from_status", "to_status"}
)

// bulkIDRun is a run of consecutive values drawn from a sequence.
type bulkIDRun struct{ first, n int64 }

// draw takes n values from seq with nextval, without any lock: other
// sessions may draw at the same time, so the values come back as runs of
// consecutive ones (usually a single run). About half a microsecond a value.
func (b *bulk) draw(ctx context.Context, seq string, n int) ([]bulkIDRun, error) {
	rows, err := b.pool.Query(ctx, `SELECT min(v), count(*) FROM (
			SELECT v, v - row_number() OVER (ORDER BY v) AS run
			FROM (SELECT nextval($1::regclass) AS v FROM generate_series(1, $2::int)) s
		) t GROUP BY run ORDER BY 1`, seq, n)
	if err != nil {
		return nil, fmt.Errorf("seed bulk: draw %d ids from %s: %w", n, seq, err)
	}
	runs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (bulkIDRun, error) {
		var x bulkIDRun
		err := r.Scan(&x.first, &x.n)
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("seed bulk: draw %d ids from %s: %w", n, seq, err)
	}
	var total int64
	for _, x := range runs {
		total += x.n
	}
	if total != int64(n) {
		return nil, fmt.Errorf("seed bulk: drew %d ids from %s, want %d", total, seq, n)
	}
	return runs, nil
}

func (b *bulk) copyBatch(ctx context.Context, bt *bulkBatch) error {
	err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
			return err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"cases"}, bulkCaseColumns,
			&bulkCaseSource{rows: bt.cases, number: bt.number, id: bt.caseID, now: b.now}); err != nil {
			return fmt.Errorf("cases: %w", err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"case_events"}, bulkEventColumns,
			&bulkEventSource{rows: bt.events, ids: bt.eventIDs, caseID: bt.caseID}); err != nil {
			return fmt.Errorf("case events: %w", err)
		}
		if _, err := tx.Exec(ctx, bulkAttachmentsSQL, bt.caseID, bt.caseID+int64(len(bt.cases))-1); err != nil {
			return fmt.Errorf("attachments: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("seed bulk: cases %d–%d: %w", bt.from+1, bt.from+len(bt.cases), err)
	}
	return nil
}

// bulkAttachmentsSQL lists a file on about one comment in six of the cases
// with ids $1–$2 (case pages list their attachments, and the benchmark's
// case page is one with files). Only the rows are made: the bytes were never
// uploaded, so downloading a bulk file answers that it is gone.
const bulkAttachmentsSQL = `INSERT INTO attachments
		(case_id, event_id, name, size, sha256, content_type, storage_key, uploaded_by, uploaded_at)
	SELECT e.case_id, e.id, f.name, 2048 + (e.id * 7919) % 8000000, encode(sha256(int8send(e.id)), 'hex'),
		f.type, 'bulk/' || e.id, e.actor_id, e.at
	FROM case_events e
	CROSS JOIN LATERAL (SELECT (ARRAY['debug.log', 'スクリーンショット.png', 'system-info.txt', '設定ファイル.conf',
			'ログ一式.zip', 'error-report.pdf'])[1 + e.id % 6] AS name,
		(ARRAY['text/plain; charset=utf-8', 'image/png', 'text/plain; charset=utf-8', 'application/octet-stream',
			'application/zip', 'application/pdf'])[1 + e.id % 6] AS type) f
	WHERE e.case_id BETWEEN $1 AND $2 AND e.kind = 'comment' AND e.actor_id IS NOT NULL AND e.id % 6 = 0`

// bulkCaseSource feeds COPY from typed rows without building a [][]any.
type bulkCaseSource struct {
	rows       []bulkCaseRow
	i          int
	number, id int64
	now        time.Time
	vals       []any
}

// bulkResponseTargets approximate the default response targets per priority
// (1 h, 4 h, one and two business days) in clock time.
var bulkResponseTargets = [5]time.Duration{4: 48 * time.Hour, 1: time.Hour, 2: 4 * time.Hour, 3: 24 * time.Hour}

// responseDue is when the next response to the customer is due: from the
// last update of an open case that waits on support, by its priority. One
// already past counts as warned, as the warning job would have done, so
// that a fresh bulk database does not send a thousand warnings a minute.
func (s *bulkCaseSource) responseDue(r *bulkCaseRow) (due, warned any) {
	if r.sub.Status() != portal.Open || r.sub.WaitingOnCustomer() || r.priority < 1 || r.priority > 4 {
		return nil, nil
	}
	d := r.updatedAt.Add(bulkResponseTargets[r.priority])
	if d.Before(s.now) {
		return d, d
	}
	return d, nil
}

func (s *bulkCaseSource) Next() bool { s.i++; return s.i <= len(s.rows) }
func (s *bulkCaseSource) Err() error { return nil }

func (s *bulkCaseSource) Values() ([]any, error) {
	r := &s.rows[s.i-1]
	k := int64(s.i - 1)
	cc := r.cc
	if cc == nil {
		cc = []string{} // NOT NULL, not an empty SQL NULL array
	}
	s.vals = append(s.vals[:0], s.id+k, portal.CaseNumber(s.number+k), r.accountID, r.openedBy, r.helpType,
		bulkNullInt(r.productID), r.productVersion, r.os, bulkNullInt(r.categoryID), bulkNullInt(r.problemID), r.priority,
		r.subject, r.description, r.impact, cc, string(r.sub.Status()), string(r.sub), bulkNullInt(r.assignedTo),
		r.version, bulkNullTime(r.waitingSince), bulkNullTime(r.reminderSent), r.createdAt, r.updatedAt, bulkNullTime(r.closedAt))
	due, warned := s.responseDue(r)
	s.vals = append(s.vals, due, warned)
	return s.vals, nil
}

type bulkEventSource struct {
	rows   []bulkEventRow
	i      int
	ids    []bulkIDRun
	run    int   // the run the next id comes from
	off    int64 // and its offset in that run
	caseID int64
	vals   []any
}

func (s *bulkEventSource) Next() bool { s.i++; return s.i <= len(s.rows) }
func (s *bulkEventSource) Err() error { return nil }

func (s *bulkEventSource) Values() ([]any, error) {
	r := &s.rows[s.i-1]
	if s.off == s.ids[s.run].n {
		s.run, s.off = s.run+1, 0
	}
	id := s.ids[s.run].first + s.off
	s.off++
	s.vals = append(s.vals[:0], id, s.caseID+int64(r.caseIdx), r.at, bulkNullInt(r.actorID), r.kind,
		string(r.action), r.body, r.internal, string(r.from), string(r.to))
	return s.vals, nil
}

func bulkNullInt(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

func bulkNullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// finish refreshes the planner's statistics (and the visibility map, so that
// index-only scans work from the start), then names the contact with the most
// cases.
func (b *bulk) finish(ctx context.Context) error {
	b.logf("vacuum and analyze")
	for _, t := range []string{"accounts", "users", "products", "categories", "problems", "cases", "case_events", "attachments"} {
		if _, err := b.pool.Exec(ctx, `VACUUM (ANALYZE) `+t); err != nil {
			return fmt.Errorf("seed bulk: vacuum %s: %w", t, err)
		}
	}
	var email string
	var most int
	err := b.pool.QueryRow(ctx, `SELECT u.email, t.n FROM (
			SELECT opened_by, count(*) AS n FROM cases GROUP BY opened_by ORDER BY n DESC, opened_by LIMIT 1
		) t JOIN users u ON u.id = t.opened_by`).Scan(&email, &most)
	if err != nil {
		return fmt.Errorf("seed bulk: contact with the most cases: %w", err)
	}
	fmt.Fprintf(b.out, "Added %d cases with %d timeline events (%d comments and internal notes) for %d organizations, %d contacts and %d new agents in %s.\n",
		b.n, b.events, b.comments, len(b.orgs), len(b.contacts), b.newAgents, time.Since(b.began).Round(time.Second))
	fmt.Fprintf(b.out, "Bulk users sign in with the password %q and a code e-mailed to them; organizations are B%s00000–B%s%05d.\n",
		DemoPassword, b.prefix, b.prefix, len(b.orgs)-1)
	fmt.Fprintf(b.out, "The contact with the most cases (%d):\n%s\n", most, email)
	return nil
}

// bulkGenerator builds cases and their timelines. It owns the random source.
type bulkGenerator struct {
	b     *bulk
	r     *mrand.Rand
	agent []int // agent index by weight
	sim   bulkCaseSim
	times []time.Time
	cc    []int32
	// portalCategory is where portal issues are filed, if there is one;
	// product issues go to the others.
	portalCategory    *bulkCategory
	productCategories []*bulkCategory
}

func (b *bulk) newGenerator() *bulkGenerator {
	g := &bulkGenerator{b: b, r: b.rng}
	for i := range b.categories {
		c := &b.categories[i]
		if c.group != len(bulkSubjectGroups)-1 {
			g.productCategories = append(g.productCategories, c)
		} else if g.portalCategory == nil {
			g.portalCategory = c
		}
	}
	if len(g.productCategories) == 0 && g.portalCategory != nil {
		g.productCategories = []*bulkCategory{g.portalCategory}
	}
	for i, a := range b.agents {
		for range a.weight {
			g.agent = append(g.agent, i)
		}
	}
	return g
}

// forced returns the sub-status that case i must have so that every one
// appears (none for most cases): the newest cases, a little apart, so that
// each is old enough for its sub-status.
func (g *bulkGenerator) forced(i int) (portal.SubStatus, bool) {
	step := max(1, g.b.n/200)
	k := g.b.n - 1 - i
	if k%step != 0 || k/step >= len(portal.SubStatuses) {
		return "", false
	}
	return portal.SubStatuses[k/step], true
}

func (g *bulkGenerator) batch(from, to int) (*bulkBatch, error) {
	bt := &bulkBatch{from: from, cases: make([]bulkCaseRow, 0, to-from), events: make([]bulkEventRow, 0, (to-from)*12)}
	for i := from; i < to; i++ {
		if err := g.caseAt(bt, i); err != nil {
			return nil, err
		}
	}
	return bt, nil
}

func (g *bulkGenerator) pick(weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	x := g.r.IntN(total)
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

var (
	bulkOpenSubs        = []portal.SubStatus{portal.SubNew, portal.SubInProgress, portal.SubAwaitingCustomer, portal.SubSolutionProposed, portal.SubEscalated, portal.SubCustomerUpdated}
	bulkOpenWeights     = []int{12, 30, 18, 12, 10, 18}
	bulkClosedSubs      = []portal.SubStatus{portal.SubResolved, portal.SubNoResponse, portal.SubCloseAgreed, portal.SubClosedByCustomer, portal.SubOutOfScope}
	bulkClosedWeights   = []int{58, 12, 13, 11, 6}
	bulkPriorityWeights = []int{4, 16, 62, 18} // 1-Critical … 4-Low
)

// subStatusFor draws where a case created age ago stands now.
func (g *bulkGenerator) subStatusFor(age time.Duration) portal.SubStatus {
	d := age.Hours() / 24
	pOpen := 0.06
	switch {
	case d < 14:
		pOpen = 0.8
	case d < 90:
		pOpen = 0.45
	case d < 365:
		pOpen = 0.15
	}
	if g.r.Float64() < pOpen {
		s := bulkOpenSubs[g.pick(bulkOpenWeights)]
		if s == portal.SubNew && d >= 30 {
			s = portal.SubInProgress
		}
		return s
	}
	s := bulkClosedSubs[g.pick(bulkClosedWeights)]
	if s == portal.SubNoResponse && d < 20 {
		s = portal.SubResolved // not waited long enough to be auto-closed
	}
	return s
}

// commentCount draws how many comments (and internal notes) a case has:
// most a few, some dozens, up to 50.
func (g *bulkGenerator) commentCount() int {
	x := g.r.Float64()
	switch {
	case x < 0.30:
		return g.r.IntN(3)
	case x < 0.70:
		return 3 + g.r.IntN(6)
	case x < 0.93:
		return 9 + g.r.IntN(12)
	}
	return 21 + g.r.IntN(bulkMaxComments-20)
}

func (g *bulkGenerator) caseAt(bt *bulkBatch, i int) error {
	b, r := g.b, g.r
	span := b.now.Add(-time.Hour).Sub(b.first)
	created := b.first.Add(time.Duration((float64(i) + r.Float64()) / float64(b.n) * float64(span))).Truncate(time.Microsecond)
	age := b.now.Sub(created)
	opener := &b.contacts[b.openers[i]]
	org := &b.orgs[opener.org]
	lang := opener.lang

	sub, ok := g.forced(i)
	if !ok {
		sub = g.subStatusFor(age)
	}
	row := bulkCaseRow{accountID: org.id, openedBy: opener.id, helpType: string(portal.HelpProduct), createdAt: created,
		priority: int16(1 + g.pick(bulkPriorityWeights)), sub: sub}

	group := len(bulkSubjectGroups) - 1 // portal issues
	var prod *bulkProduct
	if r.IntN(25) == 0 {
		row.helpType = string(portal.HelpPortal)
		if cat := g.portalCategory; cat != nil {
			row.categoryID = cat.id
			if len(cat.problems) > 0 {
				row.problemID = cat.problems[r.IntN(len(cat.problems))]
			}
		}
	} else {
		if r.IntN(7) == 0 || len(org.products) == 0 {
			prod = &b.products[r.IntN(len(b.products))]
		} else {
			prod = &b.products[org.products[r.IntN(len(org.products))]]
		}
		row.productID = prod.id
		if nv := len(prod.versions); nv > 0 {
			// Newer cases are about newer versions.
			pos := (1 - float64(age)/float64(bulkSpan)) * float64(nv)
			v := int(pos) + r.IntN(3) - 1
			row.productVersion = prod.versions[max(0, min(nv-1, v))]
		}
		if len(prod.oses) > 0 {
			row.os = prod.oses[r.IntN(len(prod.oses))]
		}
		if len(g.productCategories) > 0 {
			cat := g.productCategories[r.IntN(len(g.productCategories))]
			row.categoryID = cat.id
			group = cat.group
			if len(cat.problems) > 0 {
				row.problemID = cat.problems[r.IntN(len(cat.problems))]
			}
		} else {
			group = r.IntN(len(bulkSubjectGroups) - 1)
		}
	}
	t := bulkText{g: g, lang: lang, opener: opener, org: org, prod: prod, version: row.productVersion, os: row.os}
	topic := bulkSubjectGroups[group].subjects[r.IntN(len(bulkSubjectGroups[group].subjects))]
	row.subject = t.subject(topic, int(row.priority))
	row.description = t.description(topic)
	if r.IntN(10) < 3 {
		row.impact = bulkPickIn(r, lang, bulkImpacts)
	}

	// CC: colleagues (never the contact with the most cases) and team lists.
	g.cc = g.cc[:0]
	if r.IntN(100) < 15 {
		for range 1 + r.IntN(3) {
			if x := org.ccPool[r.IntN(len(org.ccPool))]; x != b.openers[i] && !bulkContains(g.cc, x) {
				g.cc = append(g.cc, x)
			}
		}
		for _, x := range g.cc {
			row.cc = append(row.cc, b.contacts[x].email)
		}
		if r.IntN(4) == 0 {
			row.cc = append(row.cc, bulkTeamLists[r.IntN(len(bulkTeamLists))]+"@"+org.domain)
		}
	}

	ag := &b.agents[g.agent[r.IntN(len(g.agent))]]
	colleague := &b.agents[g.agent[r.IntN(len(g.agent))]]
	s := &g.sim
	s.reset(g, opener, ag, colleague, t)
	for _, x := range g.cc {
		s.ccUsers = append(s.ccUsers, &b.contacts[x])
	}
	if err := s.walk(sub, g.commentCount(), age); err != nil {
		return fmt.Errorf("seed bulk: case %d to %s: %w", i, sub, err)
	}
	times := g.schedule(created, s.steps, sub)

	caseIdx := int32(len(bt.cases))
	bt.events = append(bt.events, bulkEventRow{caseIdx: caseIdx, at: created, actorID: opener.id, kind: "created", to: portal.SubNew})
	for j, st := range s.steps {
		bt.events = append(bt.events, bulkEventRow{caseIdx: caseIdx, at: times[j], actorID: st.actor, kind: st.kind,
			action: st.action, body: st.body, internal: st.internal, from: st.from, to: st.to})
	}
	row.updatedAt = created
	if m := len(s.steps); m > 0 {
		row.updatedAt = times[m-1]
	}
	row.version = int32(1 + len(s.steps))
	if sub != portal.SubNew {
		row.assignedTo = ag.id
	}
	if sub.Status() == portal.Closed || sub.WaitingOnCustomer() {
		// The time of the change into the final sub-status.
		var at time.Time
		for j := len(s.steps) - 1; j >= 0; j-- {
			if s.steps[j].to == sub {
				at = times[j]
				break
			}
		}
		if sub.Status() == portal.Closed {
			row.closedAt = at
		} else {
			row.waitingSince = at
			if half := 7 * bulkDay; b.now.Sub(at) > half {
				row.reminderSent = at.Add(half)
			}
		}
	}
	bt.cases = append(bt.cases, row)
	return nil
}

func bulkContains(s []int32, x int32) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// Gaps between timeline events, drawn by schedule.
type bulkGap uint8

const (
	bulkGapNormal    bulkGap = iota
	bulkGapFirst             // the agent's first answer
	bulkGapShort             // a comment right after the status change it explains
	bulkGapAutoClose         // the auto-close period: not shortened
)

type bulkStep struct {
	actor    int64
	kind     string
	action   portal.Action
	body     string
	internal bool
	from, to portal.SubStatus
	gap      bulkGap
}

// caseSim walks a case from new to its final sub-status through the state
// machine, recording each step as a timeline event.
type bulkCaseSim struct {
	g                *bulkGenerator
	cur              portal.SubStatus
	steps            []bulkStep
	opener           *bulkContact
	ccUsers          []*bulkContact
	agent, colleague *bulkAgent
	text             bulkText
	agentHasAnswered bool
	comments         int
}

func (s *bulkCaseSim) reset(g *bulkGenerator, opener *bulkContact, agent, colleague *bulkAgent, t bulkText) {
	*s = bulkCaseSim{g: g, cur: portal.SubNew, steps: s.steps[:0], ccUsers: s.ccUsers[:0], opener: opener,
		agent: agent, colleague: colleague, text: t}
}

func (s *bulkCaseSim) do(actor portal.Actor, id int64, a portal.Action, target portal.SubStatus, kind, body string, gap bulkGap) error {
	next, err := portal.Next(portal.Transition{From: s.cur, Action: a, Actor: actor, Target: target})
	if err != nil {
		return fmt.Errorf("%s by %s in %s: %w", a, actor, s.cur, err)
	}
	st := bulkStep{actor: id, kind: kind, action: a, body: body, internal: a == portal.ActInternalNote, gap: gap}
	if next != s.cur {
		st.from, st.to = s.cur, next
	}
	if kind == "comment" || kind == "internal_note" {
		if s.comments++; s.comments > bulkMaxComments {
			return fmt.Errorf("comment %d of at most %d", s.comments, bulkMaxComments)
		}
	}
	s.cur = next
	s.steps = append(s.steps, st)
	return nil
}

func (s *bulkCaseSim) customer() *bulkContact {
	if len(s.ccUsers) > 0 && s.g.r.IntN(5) == 0 {
		return s.ccUsers[s.g.r.IntN(len(s.ccUsers))]
	}
	return s.opener
}

func (s *bulkCaseSim) customerComment() error {
	c := s.customer()
	return s.do(portal.ActorCustomer, c.id, portal.ActComment, "", "comment", s.text.customerComment(c), bulkGapNormal)
}

func (s *bulkCaseSim) agentComment(gap bulkGap) error {
	first := !s.agentHasAnswered
	if first {
		gap = bulkGapFirst
	}
	s.agentHasAnswered = true
	return s.do(portal.ActorAgent, s.agent.id, portal.ActComment, "", "comment", s.text.agentReply(s.agent, first), gap)
}

func (s *bulkCaseSim) agentStatus(a portal.Action, target portal.SubStatus, body string, gap bulkGap) error {
	kind := "status"
	if a == portal.ActProposeSolution {
		kind = "solution"
	}
	if !s.agentHasAnswered {
		gap = bulkGapFirst
		s.agentHasAnswered = true
	}
	return s.do(portal.ActorAgent, s.agent.id, a, target, kind, body, gap)
}

// walk plays k comments, then the steps that lead to target.
func (s *bulkCaseSim) walk(target portal.SubStatus, k int, age time.Duration) error {
	r := s.g.r
	if target == portal.SubNew {
		// Nobody has answered yet; the customer may have added details.
		for range min(k, 2) {
			if err := s.do(portal.ActorCustomer, s.opener.id, portal.ActComment, "", "comment",
				s.text.customerComment(s.opener), bulkGapNormal); err != nil {
				return err
			}
		}
		return nil
	}
	// Some endings take one of the k comments: the customer answering the
	// question that made them customer_updated, or the agent's question that
	// comes with awaiting_customer.
	viaComment := (target == portal.SubCustomerUpdated || target == portal.SubAwaitingCustomer) && k > 0 && r.IntN(2) == 0
	mid := k
	if viaComment {
		mid--
	}
	// The conversation: it never ends waiting on the customer, so the steps
	// toward the target always end with the change that gave the case its
	// final sub-status.
	agentTurn, pendingReject := true, false
	for done := 0; done < mid; {
		if !agentTurn {
			if pendingReject {
				if err := s.do(portal.ActorCustomer, s.opener.id, portal.ActRejectSolution, "", "status",
					s.text.pick(bulkRejectReasons), bulkGapNormal); err != nil {
					return err
				}
				pendingReject, agentTurn = false, true
				continue
			}
			if err := s.customerComment(); err != nil {
				return err
			}
			done++
			agentTurn = true
			continue
		}
		customerNext := done+1 < mid
		switch x := r.IntN(100); {
		case done > 0 && x < 12:
			// An internal note; the agent keeps the turn.
			if err := s.do(portal.ActorAgent, s.colleagueOrAgent().id, portal.ActInternalNote, "", "internal_note",
				s.text.internalNote(), bulkGapNormal); err != nil {
				return err
			}
			done++
			continue
		case x < 15 && s.cur != portal.SubEscalated && s.agentHasAnswered:
			if err := s.agentStatus(portal.ActEscalate, "", "", bulkGapNormal); err != nil {
				return err
			}
		case x < 21 && customerNext && s.agentHasAnswered:
			if err := s.agentStatus(portal.ActProposeSolution, "", s.text.solution(), bulkGapNormal); err != nil {
				return err
			}
			pendingReject, agentTurn = true, false
			continue
		case x < 40 && customerNext && s.cur != portal.SubAwaitingCustomer:
			// Asking for information: the question, then the status change.
			if err := s.agentComment(bulkGapNormal); err != nil {
				return err
			}
			if err := s.agentStatus(portal.ActSetStatus, portal.SubAwaitingCustomer, "", bulkGapShort); err != nil {
				return err
			}
			done++
			agentTurn = false
			continue
		}
		if err := s.agentComment(bulkGapNormal); err != nil {
			return err
		}
		done++
		agentTurn = false
	}
	if pendingReject {
		if err := s.do(portal.ActorCustomer, s.opener.id, portal.ActRejectSolution, "", "status",
			s.text.pick(bulkRejectReasons), bulkGapNormal); err != nil {
			return err
		}
	}

	if target.Status() == portal.Closed && r.IntN(25) == 0 && age > 60*bulkDay {
		// Closed once, reopened by the customer, worked on again.
		if err := s.agentStatus(portal.ActClose, portal.SubResolved, "", bulkGapNormal); err != nil {
			return err
		}
		if err := s.do(portal.ActorCustomer, s.opener.id, portal.ActReopen, "", "reopened",
			s.text.pick(bulkReopenReasons), bulkGapNormal); err != nil {
			return err
		}
	}
	return s.finish(target, viaComment)
}

func (s *bulkCaseSim) colleagueOrAgent() *bulkAgent {
	if s.g.r.IntN(4) == 0 {
		return s.colleague
	}
	return s.agent
}

// finish takes the case to target; viaComment says whether the ending may
// add a comment.
func (s *bulkCaseSim) finish(target portal.SubStatus, viaComment bool) error {
	r := s.g.r
	switch target {
	case portal.SubInProgress:
		if s.cur != target {
			return s.agentStatus(portal.ActSetStatus, target, "", bulkGapNormal)
		}
	case portal.SubEscalated:
		if s.cur != target {
			return s.agentStatus(portal.ActEscalate, "", "", bulkGapNormal)
		}
	case portal.SubAwaitingCustomer:
		if viaComment {
			if err := s.agentComment(bulkGapNormal); err != nil {
				return err
			}
			return s.agentStatus(portal.ActSetStatus, target, "", bulkGapShort)
		}
		return s.agentStatus(portal.ActSetStatus, target, s.text.pick(bulkAskForInfo), bulkGapNormal)
	case portal.SubSolutionProposed:
		return s.agentStatus(portal.ActProposeSolution, "", s.text.solution(), bulkGapNormal)
	case portal.SubCustomerUpdated:
		if s.cur == target {
			return nil
		}
		if viaComment {
			if err := s.agentStatus(portal.ActSetStatus, portal.SubAwaitingCustomer, "", bulkGapNormal); err != nil {
				return err
			}
			return s.customerComment()
		}
		if s.cur != portal.SubSolutionProposed {
			if err := s.agentStatus(portal.ActProposeSolution, "", s.text.solution(), bulkGapNormal); err != nil {
				return err
			}
		}
		return s.do(portal.ActorCustomer, s.opener.id, portal.ActRejectSolution, "", "status", s.text.pick(bulkRejectReasons), bulkGapNormal)
	case portal.SubResolved:
		if r.IntN(10) < 6 {
			if s.cur != portal.SubSolutionProposed {
				if err := s.agentStatus(portal.ActProposeSolution, "", s.text.solution(), bulkGapNormal); err != nil {
					return err
				}
			}
			return s.do(portal.ActorCustomer, s.opener.id, portal.ActAcceptSolution, "", "status", "", bulkGapNormal)
		}
		return s.agentStatus(portal.ActClose, portal.SubResolved, s.text.pick(bulkCloseResolved), bulkGapNormal)
	case portal.SubNoResponse:
		if !s.cur.WaitingOnCustomer() {
			var err error
			if r.IntN(2) == 0 {
				err = s.agentStatus(portal.ActSetStatus, portal.SubAwaitingCustomer, s.text.pick(bulkAskAgain), bulkGapNormal)
			} else {
				err = s.agentStatus(portal.ActProposeSolution, "", s.text.solution(), bulkGapNormal)
			}
			if err != nil {
				return err
			}
		}
		return s.do(portal.ActorSystem, 0, portal.ActAutoClose, "", "status", "", bulkGapAutoClose)
	case portal.SubCloseAgreed:
		return s.agentStatus(portal.ActClose, target, s.text.pick(bulkCloseAgreed), bulkGapNormal)
	case portal.SubOutOfScope:
		return s.agentStatus(portal.ActClose, target, s.text.pick(bulkCloseOutOfScope), bulkGapNormal)
	case portal.SubClosedByCustomer:
		body := ""
		if r.IntN(2) == 0 {
			body = s.text.pick(bulkCustomerCloses)
		}
		return s.do(portal.ActorCustomer, s.opener.id, portal.ActClose, "", "status", body, bulkGapNormal)
	}
	return nil
}

// schedule spreads the steps after created. Closed cases end before now;
// open ones saw their last change in the last weeks (waiting ones in the last
// ten days, so the auto-close job leaves them alone).
func (g *bulkGenerator) schedule(created time.Time, steps []bulkStep, sub portal.SubStatus) []time.Time {
	r, now := g.r, g.b.now
	m := len(steps)
	g.times = g.times[:0]
	if m == 0 {
		return g.times
	}
	gaps := make([]time.Duration, m)
	var flex, fixed time.Duration
	for j, st := range steps {
		var d time.Duration
		switch st.gap {
		case bulkGapFirst:
			d = 15*time.Minute + time.Duration(r.Int64N(int64(12*time.Hour)))
		case bulkGapShort:
			d = time.Minute + time.Duration(r.Int64N(int64(10*time.Minute)))
		case bulkGapAutoClose:
			d = 14*bulkDay + time.Duration(r.Int64N(int64(bulkDay)))
		default:
			d = time.Duration(r.ExpFloat64() * float64(20*time.Hour))
			d = max(3*time.Minute, min(d, 10*bulkDay))
		}
		gaps[j] = d
		if st.gap == bulkGapAutoClose {
			fixed += d
		} else {
			flex += d
		}
	}
	end := now.Add(-time.Minute)
	stretchLast := false
	if sub.Status() == portal.Open {
		recent := 20 * bulkDay
		if sub.WaitingOnCustomer() {
			recent = 10 * bulkDay
		}
		end = now.Add(-time.Duration(r.Int64N(int64(recent))))
		if !end.After(created) {
			end = created.Add(time.Duration(float64(now.Sub(created)) * (0.3 + 0.7*r.Float64())))
		}
		stretchLast = true
	}
	avail := end.Sub(created)
	total := flex + fixed
	scale := 1.0
	if total > avail {
		if fixed < avail {
			scale = float64(avail-fixed) / float64(flex)
		} else { // cannot happen for the sub-statuses drawn; keep order anyway
			scale, fixed = float64(avail)/float64(total), 0
		}
	}
	t := created
	for j, d := range gaps {
		if steps[j].gap != bulkGapAutoClose || fixed == 0 {
			d = time.Duration(float64(d) * scale)
		}
		t = t.Add(d)
		if j == m-1 && stretchLast && t.Before(end) {
			t = end
		}
		g.times = append(g.times, t.Truncate(time.Microsecond))
	}
	return g.times
}

// bulkPair is a phrase in Japanese and English.
type bulkPair struct{ ja, en string }

func (p bulkPair) in(lang string) string {
	if lang == "ja" {
		return p.ja
	}
	return p.en
}

func bulkPickIn(r *mrand.Rand, lang string, list []bulkPair) string {
	return bulkFill(r, list[r.IntN(len(list))].in(lang))
}

// fill replaces each {n} with a plausible ticket, patch or article number.
func bulkFill(r *mrand.Rand, s string) string {
	for strings.Contains(s, "{n}") {
		s = strings.Replace(s, "{n}", fmt.Sprint(1000+r.IntN(9000)), 1)
	}
	return s
}

// textFor writes a case's subject, description and timeline in the
// language of the contact who opened it.
type bulkText struct {
	g           *bulkGenerator
	lang        string
	opener      *bulkContact
	org         *bulkOrg
	prod        *bulkProduct
	version, os string
}

func (t bulkText) pick(list []bulkPair) string { return bulkPickIn(t.g.r, t.lang, list) }

func (t bulkText) subject(topic bulkPair, priority int) string {
	r := t.g.r
	s := topic.in(t.lang)
	x := r.IntN(10)
	if t.lang == "ja" {
		switch {
		case x < 3 && t.prod != nil && t.version != "":
			s = "【" + t.prod.name + " " + t.version + "】" + s
		case x < 5 && t.os != "":
			s += "（" + t.os + "）"
		case x < 6 && r.IntN(2) == 0:
			s += "（再発）"
		}
		if priority == portal.PriorityCritical {
			s = "【至急】" + s
		}
		return s
	}
	switch {
	case x < 3 && t.prod != nil && t.version != "":
		s = t.prod.name + " " + t.version + ": " + s
	case x < 5 && t.os != "":
		s += " on " + t.os
	case x < 6 && r.IntN(2) == 0:
		s += " (again)"
	}
	if priority == portal.PriorityCritical {
		s = "URGENT: " + s
	}
	return s
}

func (t bulkText) description(topic bulkPair) string {
	var b strings.Builder
	if t.lang == "ja" {
		b.WriteString("いつもお世話になっております。\n")
		b.WriteString(t.org.nameJA + "の" + t.opener.name + "です。\n\n")
		b.WriteString(t.pick(bulkWhens) + "より、「" + topic.ja + "」という事象が発生しております。\n")
		b.WriteString(t.pick(bulkDetails) + "\n" + t.pick(bulkTried) + "\n\n【環境】\n")
		if t.prod != nil {
			b.WriteString("製品: " + t.prod.name + " " + t.version + "\n")
			if t.os != "" {
				b.WriteString("OS: " + t.os + "\n")
			}
		}
		b.WriteString("影響範囲: " + t.pick(bulkScopes) + "\n\n")
		b.WriteString(t.pick(bulkRequests) + "\nよろしくお願いいたします。")
		return b.String()
	}
	b.WriteString("Hello,\n\n")
	b.WriteString(t.pick(bulkWhens) + ", we have been seeing this problem: " + topic.en + ".\n")
	b.WriteString(t.pick(bulkDetails) + "\n" + t.pick(bulkTried) + "\n\nEnvironment:\n")
	if t.prod != nil {
		b.WriteString("Product: " + t.prod.name + " " + t.version + "\n")
		if t.os != "" {
			b.WriteString("OS: " + t.os + "\n")
		}
	}
	b.WriteString("Affected: " + t.pick(bulkScopes) + "\n\n")
	b.WriteString(t.pick(bulkRequests) + "\n\nBest regards,\n" + t.opener.name + "\n" + t.org.nameEN)
	return b.String()
}

func (t bulkText) customerComment(c *bulkContact) string {
	r := t.g.r
	body := t.pick(bulkCustomerSays)
	if t.lang == "ja" {
		if r.IntN(2) == 0 {
			body = "お世話になっております。" + c.name + "です。\n\n" + body + "\nよろしくお願いいたします。"
		}
		return body
	}
	if r.IntN(3) == 0 {
		body = "Hi,\n\n" + body + "\n\nThanks,\n" + c.greetEN
	}
	return body
}

func (t bulkText) agentReply(a *bulkAgent, first bool) string {
	r := t.g.r
	body := t.pick(bulkAgentSays)
	if r.IntN(3) == 0 {
		body += "\n" + t.pick(bulkAgentSays)
	}
	if t.lang == "ja" {
		switch {
		case first:
			return t.opener.greetJA + "\n\nお問い合わせいただきありがとうございます。サポートセンターの" + a.sign +
				"です。\n\n" + body + "\n\n引き続きよろしくお願いいたします。"
		case r.IntN(2) == 0:
			return t.opener.greetJA + "\n\n" + body + "\n\nサポートセンター " + a.sign
		}
		return body
	}
	switch {
	case first:
		return "Hello " + t.opener.greetEN + ",\n\nThank you for contacting Madoguchi Support.\n\n" + body +
			"\n\nBest regards,\n" + a.nameEN + "\nMadoguchi Support"
	case r.IntN(2) == 0:
		return "Hello " + t.opener.greetEN + ",\n\n" + body + "\n\nBest regards,\n" + a.nameEN
	}
	return body
}

// internalNote is mostly Japanese: the support team is in Japan.
func (t bulkText) internalNote() string {
	if t.g.r.IntN(10) < 7 {
		return bulkPickIn(t.g.r, "ja", bulkInternalNotes)
	}
	return bulkPickIn(t.g.r, "en", bulkInternalNotes)
}

func (t bulkText) solution() string {
	return t.pick(bulkSolutions)
}

var bulkDefaultProducts = []bulkProduct{
	{name: "Madoguchi Endpoint Security", versions: []string{"14.0", "14.1", "15.0", "15.1", "16.0"},
		oses: []string{"Windows 11", "Windows 10", "Windows Server 2022", "Windows Server 2019", "macOS 14"}},
	{name: "Sentinel License Manager", versions: []string{"9.2", "9.3", "10.0", "10.1"},
		oses: []string{"Windows Server 2022", "Windows Server 2019", "Red Hat Enterprise Linux 9", "Ubuntu 22.04"}},
	{name: "DataVault Backup", versions: []string{"7.5", "8.0", "8.1", "8.2"},
		oses: []string{"Windows Server 2022", "Windows Server 2019", "Red Hat Enterprise Linux 8", "VMware ESXi 8.0"}},
	{name: "CloudGate VPN", versions: []string{"3.4", "3.5", "4.0", "4.1"},
		oses: []string{"Windows 11", "macOS 14", "iOS 17", "Android 14"}},
	{name: "MailShield Gateway", versions: []string{"6.1", "6.2", "6.3"},
		oses: []string{"Virtual appliance (VMware)", "Virtual appliance (Hyper-V)", "AWS"}},
	{name: "Kanri Asset Manager", versions: []string{"2.8", "3.0", "3.1", "3.2"},
		oses: []string{"Windows Server 2022", "Windows 11", "Windows 10"}},
	{name: "SecureFile Transfer", versions: []string{"5.0", "5.1", "5.2"},
		oses: []string{"Windows Server 2022", "Red Hat Enterprise Linux 9", "Rocky Linux 9"}},
	{name: "Insight Analytics Server", versions: []string{"11.0", "11.2", "12.0"},
		oses: []string{"Red Hat Enterprise Linux 9", "Ubuntu 22.04", "Windows Server 2022"}},
}

// subjectGroupOf chooses the subjects that fit a category by its English
// name; a category it cannot place gets one of the product groups.
func bulkSubjectGroupOf(nameEN string, i int) int {
	n := strings.ToLower(nameEN)
	for _, k := range []struct {
		word  string
		group int
	}{
		{"install", 0}, {"upgrad", 0}, {"licen", 1}, {"perform", 2}, {"defect", 3}, {"error", 3}, {"crash", 3},
		{"connect", 4}, {"network", 4}, {"config", 4}, {"how", 4}, {"setting", 4}, {"integrat", 4},
		{"portal", 5}, {"account", 5}, {"sign", 5},
	} {
		if strings.Contains(n, k.word) {
			return k.group
		}
	}
	return i % (len(bulkSubjectGroups) - 1)
}

type bulkSubjectGroup struct {
	category bulkPair
	problems []bulkPair
	subjects []bulkPair
}

// subjectGroups are the categories (with their problems) created when there
// are none, and the subjects written for cases in each. The last is the
// portal's own issues.
var bulkSubjectGroups = []bulkSubjectGroup{
	{
		category: bulkPair{"インストール・アップグレード", "Installation and upgrade"},
		problems: []bulkPair{{"インストールに失敗する", "Installation fails"}, {"アップグレードに失敗する", "Upgrade fails"},
			{"アンインストールできない", "Cannot uninstall"}},
		subjects: []bulkPair{
			{"インストールがエラー 1603 で失敗する", "Installation fails with error 1603"},
			{"アップグレード後にサービスが起動しない", "Service does not start after the upgrade"},
			{"サイレントインストールのパラメーターを教えてほしい", "Which parameters does a silent installation take?"},
			{"アンインストールが途中で止まる", "Uninstallation hangs halfway"},
			{"前提条件のチェックで .NET Framework が検出されない", "Prerequisite check does not detect .NET Framework"},
			{"インストール時に証明書エラーが表示される", "Certificate error during installation"},
			{"アップグレード後に設定が初期化された", "Settings were reset by the upgrade"},
		},
	},
	{
		category: bulkPair{"ライセンス", "Licensing"},
		problems: []bulkPair{{"アクティベーションできない", "Activation fails"}, {"ライセンスサーバーに接続できない", "License server unreachable"},
			{"ライセンス数・期限の確認", "License count and expiry"}},
		subjects: []bulkPair{
			{"ライセンスサーバーに接続できない", "Cannot connect to the license server"},
			{"ライセンスのアクティベーションに失敗する", "License activation fails"},
			{"ライセンスの有効期限が誤って表示される", "License expiry date is shown incorrectly"},
			{"ライセンス数が不足していると表示される", "Error says there are not enough licenses"},
			{"ライセンスキーを新しいサーバーへ移行する手順", "How to move a license key to a new server"},
			{"オフライン環境でライセンス認証を行いたい", "Activating a license on an offline network"},
		},
	},
	{
		category: bulkPair{"パフォーマンス", "Performance"},
		problems: []bulkPair{{"動作が遅い", "Slow"}, {"CPU 使用率が高い", "High CPU usage"}, {"メモリ使用量が増え続ける", "Memory keeps growing"}},
		subjects: []bulkPair{
			{"スキャン中に CPU 使用率が 100% になる", "CPU usage reaches 100% during scans"},
			{"管理コンソールの表示が非常に遅い", "Management console is very slow"},
			{"メモリ使用量が徐々に増加する", "Memory usage keeps growing"},
			{"バックアップの処理時間が倍になった", "Backup jobs take twice as long as before"},
			{"ログオン時に端末の動作が重くなる", "Computers become slow at logon"},
			{"レポートの作成に 1 時間以上かかる", "Generating a report takes over an hour"},
		},
	},
	{
		category: bulkPair{"エラー・異常終了", "Errors and crashes"},
		problems: []bulkPair{{"エラーメッセージが表示される", "Error message"}, {"異常終了する", "Crash"}, {"サービスが停止する", "Service stops"}},
		subjects: []bulkPair{
			{"「データベースに接続できません」と表示される", "\"Unable to connect to the database\" error"},
			{"エージェントが予期せず停止する", "Agent stops unexpectedly"},
			{"更新プログラムの適用がエラー 0x80070005 で失敗する", "Update fails with error 0x80070005"},
			{"イベントログにイベント ID 7031 が記録される", "Event ID 7031 in the event log"},
			{"レポート出力時にアプリケーションが異常終了する", "Application crashes when exporting a report"},
			{"同期ジョブがタイムアウトする", "Sync job times out"},
			{"ブルースクリーンが発生する", "Blue screen after installing the agent"},
		},
	},
	{
		category: bulkPair{"設定・連携", "Configuration and integration"},
		problems: []bulkPair{{"設定方法を知りたい", "How to configure"}, {"ポリシーが適用されない", "Policy not applied"},
			{"他製品との連携", "Integration with other products"}},
		subjects: []bulkPair{
			{"ポリシーがクライアントに適用されない", "Policy is not applied to clients"},
			{"プロキシ経由の通信設定について", "Setting up communication through a proxy"},
			{"Active Directory 連携の設定方法", "How to set up Active Directory integration"},
			{"除外設定が反映されない", "Exclusions do not take effect"},
			{"通知メールが送信されない", "Notification e-mails are not sent"},
			{"SAML シングルサインオンの設定手順", "Steps to configure SAML single sign-on"},
			{"SIEM へのログ転送設定", "Forwarding logs to our SIEM"},
		},
	},
	{
		category: bulkPair{"アカウント・ポータル", "Accounts and portal"},
		problems: []bulkPair{{"サインインできない", "Cannot sign in"}, {"担当者の登録・変更", "Adding or changing contacts"},
			{"ダウンロード", "Downloads"}},
		subjects: []bulkPair{
			{"サポートポータルにサインインできない", "Cannot sign in to the support portal"},
			{"ワンタイムパスコードのメールが届かない", "One-time passcode e-mail does not arrive"},
			{"担当者を追加・変更したい", "We want to add or change our contacts"},
			{"ダウンロードページにアクセスできない", "Cannot open the download page"},
			{"退職した担当者のアカウントを無効にしたい", "Please disable the account of a colleague who left"},
		},
	},
}

var (
	bulkWhens = []bulkPair{
		{"昨日の午後", "Since yesterday afternoon"}, {"今朝", "Since this morning"},
		{"先週のアップデート適用後", "Since last week's update"}, {"月曜日", "Since Monday"},
		{"本日 9 時頃", "Since about 9 a.m. today"}, {"新しいサーバーへの移行後", "Since we moved to a new server"},
		{"先月末", "Since the end of last month"}, {"OS のアップデート後", "Since the OS update"},
	}
	bulkDetails = []bulkPair{
		{"特定の端末でのみ発生しており、他の端末では問題ありません。", "It only happens on some computers; the others are fine."},
		{"再起動すると一時的に解消しますが、数時間後に再発します。", "A restart helps for a few hours, then it comes back."},
		{"エラー画面のスクリーンショットとログを取得済みです。", "We have a screenshot of the error and the logs."},
		{"同じ構成の検証環境では再現しません。", "We cannot reproduce it in our test environment with the same setup."},
		{"約 200 台の端末で同じ現象を確認しています。", "About 200 computers show the same problem."},
		{"夜間のバッチ処理の時間帯に集中して発生しています。", "It happens mostly during the nightly batch jobs."},
	}
	bulkTried = []bulkPair{
		{"サービスの再起動とキャッシュの削除を試しましたが、改善しませんでした。", "We restarted the service and cleared the cache, without success."},
		{"ナレッジベースの記事を参考に設定を見直しましたが、解消しませんでした。", "We followed the knowledge base article, but the problem remains."},
		{"再インストールも実施しましたが、結果は同じでした。", "Reinstalling did not help."},
		{"ファイアウォールを一時的に無効にしても変わりませんでした。", "Turning the firewall off for a while changed nothing."},
	}
	bulkScopes = []bulkPair{
		{"全社（約 300 台）", "All sites (about 300 computers)"}, {"一部の部署（約 20 名）", "One department (about 20 people)"},
		{"管理者のみ", "Administrators only"}, {"本番サーバー 2 台", "Two production servers"}, {"大阪拠点のみ", "The Osaka office only"},
	}
	bulkRequests = []bulkPair{
		{"原因と対処方法をご教示いただけますでしょうか。", "Could you tell us the cause and how to fix it?"},
		{"業務に影響が出ているため、早急にご確認をお願いいたします。", "This is affecting our work, so a quick answer would be appreciated."},
		{"回避策があれば、あわせてご案内ください。", "Please also let us know if there is a workaround."},
		{"手順をご案内いただけますと幸いです。", "We would be grateful for step-by-step instructions."},
	}
	bulkCustomerSays = []bulkPair{
		{"ご回答ありがとうございます。ご指示の手順を実施しましたが、現象は改善しませんでした。", "Thanks for your reply. We followed the steps, but the problem is still there."},
		{"ログを取得しましたので添付いたします。ご確認をお願いいたします。", "I have attached the logs. Please take a look."},
		{"本件は業務への影響が大きいため、早急なご対応をお願いいたします。", "This has a big impact on our operations, so we would appreciate a quick fix."},
		{"ご提示いただいた回避策で一時的に解消しました。恒久対策についてもご教示ください。", "The workaround helped for now. Could you also tell us about a permanent fix?"},
		{"追加で確認したところ、特定の端末でのみ発生していることがわかりました。", "We found that it only happens on some of the computers."},
		{"再起動後も同じエラーが表示されます。", "The same error appears after a restart."},
		{"社内で確認いたしますので、少々お待ちください。", "We will check internally and get back to you."},
		{"ファイアウォールの設定を確認しましたが、該当ポートは許可されていました。", "We checked the firewall, and the port is already open."},
		{"修正プログラムを適用したところ、現象が改善しました。しばらく様子を見ます。", "After applying the hotfix the problem went away. We will keep an eye on it."},
		{"進捗はいかがでしょうか。状況をお知らせください。", "Is there any update on this?"},
		{"発生日時は本日 10 時 15 分頃です。エラーメッセージは「サービスに接続できません (0x800706BA)」です。", "It happened today at around 10:15. The error message was \"Cannot connect to the service (0x800706BA)\"."},
		{"リモート調査は来週火曜日の 14 時以降でお願いできますでしょうか。", "A remote session next Tuesday after 2 p.m. would work for us."},
		{"設定ファイルを添付しました。パスワード部分は伏せています。", "I attached the configuration file with the passwords removed."},
		{"別の拠点でも同じ現象が発生し始めました。", "Another office has started seeing the same problem."},
	}
	bulkAgentSays = []bulkPair{
		{"現象を確認するため、診断ツールで取得したログをご提供いただけますでしょうか。", "To look into this, could you send us the logs collected with the diagnostic tool?"},
		{"恐れ入りますが、以下の情報をご提供ください。\n- 発生日時\n- エラーメッセージの全文\n- 直前に実施した操作", "Could you please send us the following?\n- When it happened\n- The full error message\n- What was done just before"},
		{"ご提供いただいたログを確認したところ、ライセンスサーバーとの通信がタイムアウトしていました。ファイアウォールで TCP 27000 番ポートが許可されているかご確認ください。", "The logs show that the connection to the license server times out. Please check that TCP port 27000 is allowed through the firewall."},
		{"開発部門に調査を依頼しております。進捗があり次第ご連絡いたします。", "We have asked our development team to investigate and will update you as soon as we hear back."},
		{"本現象は既知の不具合で、次回のパッチで修正される予定です。それまではサービスの再起動で回避できます。", "This is a known issue that the next patch fixes. Until then, restarting the service works around it."},
		{"検証環境で同じ現象を再現できました。引き続き原因を調査いたします。", "We reproduced the problem in our lab and are investigating the cause."},
		{"詳細な情報をありがとうございます。いただいた情報をもとに調査を進めます。", "Thank you for the details. We will continue the investigation with them."},
		{"設定ファイル（config.xml）を確認させていただきたく、添付をお願いできますでしょうか。", "Could you attach the configuration file (config.xml) so that we can check the settings?"},
		{"お待たせしており申し訳ございません。現在、開発部門からの回答を待っております。", "Sorry for the wait. We are still waiting for an answer from the development team."},
		{"リモートでの調査をご希望の場合は、ご都合のよい日時を複数お知らせください。", "If you would like a remote session, please suggest a few times that suit you."},
		{"最新の修正プログラム（Hotfix {n}）を適用いただき、現象が改善するかご確認いただけますでしょうか。", "Please apply the latest hotfix ({n}) and let us know whether the problem persists."},
		{"ご不便をおかけして申し訳ございません。優先度を上げて対応しております。", "We apologize for the inconvenience and have raised the priority of this case."},
	}
	bulkInternalNotes = []bulkPair{
		{"ログ確認済み。ポート 27000 でタイムアウト。FW の可能性が高い。", "Checked the logs: timeout on port 27000, probably the firewall."},
		{"開発チームに確認中（DEV-{n}）。", "Asked the dev team (DEV-{n})."},
		{"プレミアムサポート契約のお客さま。4 時間以内に回答すること。", "Premium support customer: answer within 4 hours."},
		{"検証環境（同一バージョン）で再現を確認。", "Reproduced on a lab VM with the same version."},
		{"前回の同様のケースでは証明書の期限切れが原因だった。", "The last similar case was an expired certificate."},
		{"お客さまに電話で状況を確認済み。回答はメールを希望。", "Called the customer; they prefer answers by e-mail."},
		{"既知の不具合 BUG-{n} と同一の可能性あり。", "Looks like known bug BUG-{n}."},
		{"営業担当にも共有済み。契約更新が近い。", "Shared with the account manager: renewal is coming up."},
	}
	bulkSolutions = []bulkPair{
		{"調査の結果、証明書の期限切れが原因と判明しました。以下の手順で証明書を更新してください。\n1. 管理コンソールにサインインします。\n2. [設定] > [証明書] を開き、[更新] をクリックします。\n3. サービスを再起動します。", "The cause is an expired certificate. Please renew it as follows:\n1. Sign in to the management console.\n2. Open Settings > Certificates and click Renew.\n3. Restart the service."},
		{"修正プログラム（Hotfix {n}）で本現象は修正されています。適用後に現象が解消することをご確認ください。", "Hotfix {n} fixes this problem. Please apply it and confirm that the problem is gone."},
		{"除外リストに該当フォルダーを追加することで解消します。手順はナレッジベースの記事 KB{n} をご参照ください。", "Adding the folder to the exclusion list solves this. Knowledge base article KB{n} has the steps."},
		{"プロキシの認証方式を「基本認証」に変更することで通信できることを確認しました。設定手順を以下にご案内します。", "Switching the proxy authentication to Basic lets it connect. The steps are below."},
		{"最新バージョンへのアップグレードで解消します。アップグレード手順書をご確認ください。", "Upgrading to the latest version solves this. Please see the upgrade guide."},
		{"タイムアウト値を 300 秒に変更することで解消します。設定ファイルの該当箇所は以下のとおりです。", "Raising the timeout to 300 seconds solves this. The setting to change is shown below."},
	}
	bulkRejectReasons = []bulkPair{
		{"ご提示の手順を試しましたが、解消しませんでした。", "We tried the steps, but the problem is not solved."},
		{"修正プログラムを適用しましたが、別のエラーが表示されるようになりました。", "After the hotfix a different error appears."},
		{"除外設定を追加しましたが、一部の端末では引き続き発生しています。", "We added the exclusion, but some computers still show the problem."},
		{"本番環境では手順どおりに設定できませんでした。", "We could not apply these settings in production."},
	}
	bulkReopenReasons = []bulkPair{
		{"同じ現象が再発しました。再度調査をお願いいたします。", "The same problem is back. Please look into it again."},
		{"別の拠点でも同じエラーが発生したため、再オープンします。", "Another office has the same error, so we are reopening this."},
		{"修正プログラム適用後、数日して再発しました。", "It came back a few days after the hotfix."},
	}
	bulkCustomerCloses = []bulkPair{
		{"社内で解決しましたので、本件はクローズしてください。", "We solved it ourselves; please close this case."},
		{"別の方法で対応することにしたため、クローズいたします。ありがとうございました。", "We decided to handle this another way, so we are closing the case. Thank you."},
		{"重複して起票してしまったため、こちらはクローズします。", "This is a duplicate of another case, so we are closing it."},
	}
	bulkCloseResolved = []bulkPair{
		{"解決を確認いたしましたので、本ケースをクローズいたします。", "As the problem is solved, we are closing this case."},
		{"", ""},
	}
	bulkCloseAgreed = []bulkPair{
		{"お客さまのご了承をいただきましたので、本ケースをクローズいたします。", "With your agreement, we are closing this case."},
		{"お電話でご了承いただいたとおり、本ケースはクローズとさせていただきます。", "As agreed on the phone, we are closing this case."},
	}
	bulkCloseOutOfScope = []bulkPair{
		{"恐れ入りますが、お問い合わせの内容はサポート対象外のため、本ケースをクローズいたします。", "We are sorry, but this request is outside the scope of support, so we are closing the case."},
		{"サードパーティー製品に関するお問い合わせのため、製品元へお問い合わせください。", "This concerns a third-party product; please contact its vendor."},
	}
	bulkAskForInfo = []bulkPair{
		{"追加情報のご提供をお待ちしております。", "We are waiting for the additional information."},
		{"ログのご提供をお待ちしております。", "We are waiting for the logs."},
	}
	bulkAskAgain = []bulkPair{
		{"その後の状況はいかがでしょうか。14 日間ご連絡がない場合、本ケースは自動的にクローズされます。", "How are things now? Without an answer within 14 days, this case closes automatically."},
	}
	bulkImpacts = []bulkPair{
		{"約 200 名の業務が停止しています。", "About 200 people cannot work."},
		{"月末の締め処理に影響が出ています。", "Our month-end closing is affected."},
		{"本番環境のバックアップが取得できていません。", "Production backups are not being taken."},
		{"一部の拠点でのみ影響があります。", "Only some offices are affected."},
		{"現時点で業務への影響はありません。", "No impact on our work at the moment."},
	}
	bulkTeamLists = []string{"it-support", "helpdesk", "infra-team", "security"}

	bulkSurnames = []bulkPair{
		{"佐藤", "sato"}, {"鈴木", "suzuki"}, {"高橋", "takahashi"}, {"田中", "tanaka"}, {"伊藤", "ito"},
		{"渡辺", "watanabe"}, {"山本", "yamamoto"}, {"中村", "nakamura"}, {"小林", "kobayashi"}, {"加藤", "kato"},
		{"吉田", "yoshida"}, {"山田", "yamada"}, {"佐々木", "sasaki"}, {"山口", "yamaguchi"}, {"松本", "matsumoto"},
		{"井上", "inoue"}, {"木村", "kimura"}, {"林", "hayashi"}, {"斎藤", "saito"}, {"清水", "shimizu"},
		{"山崎", "yamazaki"}, {"森", "mori"}, {"池田", "ikeda"}, {"橋本", "hashimoto"}, {"阿部", "abe"},
		{"石川", "ishikawa"}, {"前田", "maeda"}, {"藤田", "fujita"}, {"小川", "ogawa"}, {"岡田", "okada"},
		{"後藤", "goto"}, {"長谷川", "hasegawa"}, {"村上", "murakami"}, {"近藤", "kondo"}, {"石井", "ishii"},
		{"坂本", "sakamoto"}, {"遠藤", "endo"}, {"青木", "aoki"}, {"藤井", "fujii"}, {"西村", "nishimura"},
	}
	bulkGivenNames = []bulkPair{
		{"翔太", "shota"}, {"大輔", "daisuke"}, {"健一", "kenichi"}, {"拓也", "takuya"}, {"直樹", "naoki"},
		{"誠", "makoto"}, {"亮", "ryo"}, {"和也", "kazuya"}, {"隆", "takashi"}, {"浩二", "koji"},
		{"美咲", "misaki"}, {"陽子", "yoko"}, {"恵", "megumi"}, {"由美", "yumi"}, {"直美", "naomi"},
		{"愛", "ai"}, {"真由美", "mayumi"}, {"彩", "aya"}, {"智子", "tomoko"}, {"舞", "mai"},
		{"悠斗", "yuto"}, {"結衣", "yui"}, {"葵", "aoi"}, {"蓮", "ren"}, {"優子", "yuko"},
		{"裕子", "hiroko"}, {"明美", "akemi"}, {"健太", "kenta"}, {"雄一", "yuichi"}, {"聡", "satoshi"},
	}
	bulkForeignGiven    = []string{"Emily", "James", "Olivia", "Michael", "Sophie", "Daniel", "Hannah", "David", "Laura", "Thomas", "Grace", "Ryan", "Chloe", "Lucas", "Priya", "Wei", "Ana", "Marco", "Nina", "Peter"}
	bulkForeignSurnames = []string{"Carter", "Smith", "Johnson", "Brown", "Wilson", "Taylor", "Anderson", "Thompson", "Walker", "Lee", "Chen", "Kumar", "Garcia", "Rossi", "Nguyen", "Clark", "Lewis", "Young", "Hughes", "Schmidt"}
	bulkAbroad          = []struct{ tz, country, phone string }{
		{"America/Los_Angeles", "US", "+1 415"}, {"America/New_York", "US", "+1 212"}, {"Europe/London", "GB", "+44 20"},
		{"Europe/Berlin", "DE", "+49 30"}, {"Asia/Singapore", "SG", "+65 6"}, {"Australia/Sydney", "AU", "+61 2"},
	}
	bulkCompanyPrefixes = []bulkPair{
		{"さくら", "Sakura"}, {"東邦", "Toho"}, {"大和", "Yamato"}, {"北斗", "Hokuto"}, {"青葉", "Aoba"},
		{"みなと", "Minato"}, {"富士見", "Fujimi"}, {"日進", "Nisshin"}, {"光洋", "Koyo"}, {"旭", "Asahi"},
		{"瑞穂", "Mizuho"}, {"千代田", "Chiyoda"}, {"東和", "Towa"}, {"三ツ星", "Mitsuboshi"}, {"中央", "Chuo"},
		{"八洲", "Yashima"}, {"若葉", "Wakaba"}, {"白鷺", "Shirasagi"}, {"明和", "Meiwa"}, {"協和", "Kyowa"},
	}
	bulkIndustries = []struct{ ja, en, slug string }{
		{"精機", "Precision", "seiki"}, {"電機", "Electric", "denki"}, {"物流", "Logistics", "logistics"},
		{"商事", "Trading", "shoji"}, {"システムズ", "Systems", "systems"}, {"製薬", "Pharmaceutical", "pharma"},
		{"建設", "Construction", "kensetsu"}, {"化学", "Chemical", "chemical"}, {"工業", "Industries", "kogyo"},
		{"情報サービス", "Information Services", "infoservice"}, {"食品", "Foods", "foods"},
		{"証券", "Securities", "securities"}, {"ソフトウェア", "Software", "software"}, {"メディカル", "Medical", "medical"},
		{"エネルギー", "Energy", "energy"},
	}
	bulkForeignCompanies = []struct{ en, ja, slug string }{
		{"Northwind Logistics", "ノースウィンド・ロジスティクス", "northwind"}, {"Contoso Pharma", "コントソ・ファーマ", "contoso"},
		{"Fabrikam Manufacturing", "ファブリカム", "fabrikam"}, {"Tailspin Airways", "テイルスピン航空", "tailspin"},
		{"Adatum Financial", "アダタム・フィナンシャル", "adatum"}, {"Litware Retail", "リットウェア", "litware"},
		{"Proseware Health", "プロスウェア・ヘルス", "proseware"}, {"Woodgrove Bank", "ウッドグローブ銀行", "woodgrove"},
	}
	bulkForeignSuffixes = []string{"Inc.", "Ltd.", "GmbH", "Pte. Ltd.", "K.K."}
	bulkBranches        = []bulkPair{{"大阪", "Osaka"}, {"名古屋", "Nagoya"}, {"福岡", "Fukuoka"}, {"札幌", "Sapporo"},
		{"仙台", "Sendai"}, {"広島", "Hiroshima"}, {"横浜", "Yokohama"}, {"神戸", "Kobe"}, {"京都", "Kyoto"}, {"那覇", "Naha"}}
)
