-- Lexer cases checked against libpg_query's own scanner (pg_query_scan) by the unit test
-- "lex matches pg_query_scan". Each statement is scanned on its own; statements here need
-- to scan, not to parse.

-- Strings in every quoting form.
SELECT 'plain', 'it''s', '', E'esc\'aped\\', e'\x41\n', E'''', N'national', n'n''s';
SELECT U&'d\0061t\+000061', U&'d!0061t' UESCAPE '!', u&'x''y';
SELECT B'1010', b'1', X'1F', x'abCD';
SELECT $$dollar 'quoted' "text"$$, $tag$ with $$ inside $tag$, $_1$x$_1$, $$$$, $a$$b$$a$;
SELECT $fn$ $fn $ fn$ $fn$;

-- A literal continues on the next line (whitespace with a newline, or -- comments, between).
SELECT 'continued'
  'over lines', 'two'
-- a comment between
'parts', E'esc'
'aped';
SELECT 'not' 'continued on one line', 'nor' /* after a block comment */
'this';
SELECT B'10'
'01', X'ab'
  'cd';

-- Quoted identifiers.
SELECT "Name", "with ""quotes""", "", U&"d\0061t", U&"d!0061t" UESCAPE '!', "ü", "a b";
SELECT * FROM "Schema"."Table" AS "T";

-- Numbers.
SELECT 0, 42, 007, 2147483647, 2147483648, 99999999999999999999999, 1.5, .5, 5., .5e3, 1e10;
SELECT 1E-5, 1e+5, 1.e5, 12.5E+3, 1..2, 1.2.3, 3.14::numeric, 1 .5, -1, +1, - 1;

-- Parameters and identifiers with $.
SELECT $1, $23, $1::int, a$b, a$1, x$$, $1.field, p.$1;

-- Operators: the longest run, with PostgreSQL's trailing +/- rule.
SELECT a=-1, a<-1, a*-b, a+-b, a-+b, a<=b, a>=b, a<>b, a!=b, a=>b, a<=>b, a||b, a->>'k';
SELECT a@-b, a?-b, a!=-b, a~=b, a!~*b, a#>>'{x}', a@>b, a<@b, a&&b, a-|-b, a ^ 2, a % 2;
SELECT a||/*comment*/b, a+--comment
b, a*/**/b, @ -5, ~1, !!2, a `+ b, ?- 1;
SELECT a::text::varchar(10), f(a := 1, b => 2), x[1:2], y[:3], z[1][2:], arr[$1:$2];

-- Comments, nested, at the edges.
/* outer /* inner */ still outer */ SELECT 1 /**/ , /* multi
line */ 2 -- trailing
;
SELECT/*glued*/1--x
;

-- Punctuation.
SELECT (1, 2), ARRAY[1, 2], t.*, row(1).f, (x).y;

-- Non-ASCII bytes are identifier characters.
SELECT café, naïve_ünï, 日本 FROM données;

-- Keywords and bare labels.
SELECT update AS left, select.from FROM between;
