package app

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"madoguchi/internal/norm"
	"madoguchi/internal/portal"
)

// catalogName checks one name of a category or problem: required, one
// line, at most catalogNameMax characters.
func catalogName(flag, v string) (string, error) {
	n := norm.Text(v)
	switch {
	case n == "":
		return "", fmt.Errorf("%w: %s is required", errUsage, flag)
	case utf8.RuneCountInString(n) > catalogNameMax || strings.ContainsAny(n, "\n\t"):
		return "", fmt.Errorf("%w: %s must be one line of at most %d characters", errUsage, flag, catalogNameMax)
	}
	return n, nil
}

// categoryCreate adds a category of problems, named in both languages, and
// prints its id. Categories are listed in the order they were created.
func (a *App) categoryCreate(ctx context.Context, args []string) error {
	fs := a.flags("category create")
	en := fs.String("en", "", "name in English (required)")
	ja := fs.String("ja", "", "name in Japanese (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	nameEN, err := catalogName("--en", *en)
	if err != nil {
		return err
	}
	nameJA, err := catalogName("--ja", *ja)
	if err != nil {
		return err
	}
	st, pool, err := a.database(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	c, err := st.CreateCategory(ctx, nameEN, nameJA, 0)
	if portal.ErrorCode(err) == portal.ECONFLICT {
		return fmt.Errorf("a category named %q already exists", nameEN)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout(), "created category %q (%s); its id:\n%d\n", c.NameEN, c.NameJA, c.ID)
	return nil
}

// problemCreate adds a problem to a category and prints its id.
func (a *App) problemCreate(ctx context.Context, args []string) error {
	fs := a.flags("problem create")
	category := fs.Int64("category", 0, "id of the category (required; see madoguchi catalog)")
	en := fs.String("en", "", "name in English (required)")
	ja := fs.String("ja", "", "name in Japanese (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *category <= 0 {
		return fmt.Errorf("%w: --category is required", errUsage)
	}
	nameEN, err := catalogName("--en", *en)
	if err != nil {
		return err
	}
	nameJA, err := catalogName("--ja", *ja)
	if err != nil {
		return err
	}
	st, pool, err := a.database(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	p, err := st.CreateProblem(ctx, *category, nameEN, nameJA, 0)
	switch portal.ErrorCode(err) {
	case "":
	case portal.ENOTFOUND:
		return fmt.Errorf("there is no category %d (madoguchi catalog lists them)", *category)
	case portal.ECONFLICT:
		return fmt.Errorf("category %d already has a problem named %q", *category, nameEN)
	default:
		return err
	}
	fmt.Fprintf(a.stdout(), "created problem %q (%s) in category %d; its id:\n%d\n", p.NameEN, p.NameJA, p.CategoryID, p.ID)
	return nil
}

// catalog prints the products, categories and problems with their ids, for
// staff who add to them from the command line.
func (a *App) catalog(ctx context.Context, args []string) error {
	fs := a.flags("catalog")
	if err := parse(fs, args); err != nil {
		return err
	}
	st, pool, err := a.database(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	products, err := st.Products(ctx)
	if err != nil {
		return err
	}
	categories, err := st.Categories(ctx)
	if err != nil {
		return err
	}
	problems, err := st.Problems(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(a.stdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "products:")
	for _, p := range products {
		state := ""
		if !p.Active {
			state = "\t(retired)"
		}
		fmt.Fprintf(w, "  %d\t%s\tversions: %s\tos: %s%s\n", p.ID, p.Name, orNone(p.Versions), orNone(p.OSes), state)
	}
	fmt.Fprintln(w, "categories and problems:")
	for _, c := range categories {
		fmt.Fprintf(w, "  %d\t%s\t%s\n", c.ID, c.NameEN, c.NameJA)
		for _, p := range problems {
			if p.CategoryID == c.ID {
				fmt.Fprintf(w, "    %d\t%s\t%s\n", p.ID, p.NameEN, p.NameJA)
			}
		}
	}
	return w.Flush()
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "-"
	}
	return strings.Join(list, ", ")
}
