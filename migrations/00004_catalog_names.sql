-- +goose Up
-- A category's or problem's name is what customers choose by; two with the
-- same name would be indistinguishable in the lists.
CREATE UNIQUE INDEX categories_name_en_key ON categories (lower(name_en));
CREATE UNIQUE INDEX categories_name_ja_key ON categories (name_ja);
CREATE UNIQUE INDEX problems_name_en_key ON problems (category_id, lower(name_en));
CREATE UNIQUE INDEX problems_name_ja_key ON problems (category_id, name_ja);

-- +goose Down
DROP INDEX problems_name_ja_key;
DROP INDEX problems_name_en_key;
DROP INDEX categories_name_ja_key;
DROP INDEX categories_name_en_key;
