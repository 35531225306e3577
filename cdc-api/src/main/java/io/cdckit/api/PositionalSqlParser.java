package io.cdckit.api;

import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.ParsedSql;
import org.jdbi.v3.core.statement.SqlParser;
import org.jdbi.v3.core.statement.SqlStatements;
import org.jdbi.v3.core.statement.StatementContext;

import javax.sql.DataSource;

/**
 * Jdbi's SQL parser for statements with positional {@code ?} parameters only, which reads
 * quoted identifiers and literals as PostgreSQL does: a doubled quote inside them ({@code "pos
 * ""v1"""}) is part of the name, and a {@code ?} inside them is no parameter. Jdbi's own parser
 * misreads such names, and cdckit quotes every identifier a user may choose.
 */
final class PositionalSqlParser implements SqlParser {

    /** Jdbi over {@code dataSource}, with this parser. */
    static Jdbi jdbi(DataSource dataSource) {
        Jdbi jdbi = Jdbi.create(dataSource);
        jdbi.getConfig(SqlStatements.class).setSqlParser(new PositionalSqlParser());
        return jdbi;
    }

    @Override
    public ParsedSql parse(String sql, StatementContext ctx) {
        ParsedSql.Builder parsed = ParsedSql.builder();
        StringBuilder text = new StringBuilder();
        char quote = 0;
        for (int i = 0; i < sql.length(); i++) {
            char c = sql.charAt(i);
            if (quote == 0 && c == '?') {
                parsed.append(text.toString()).appendPositionalParameter();
                text.setLength(0);
                continue;
            }
            if (c == '"' || c == '\'') {
                // a doubled quote closes and reopens: the state comes out right without special-casing it
                quote = quote == 0 ? c : quote == c ? 0 : quote;
            }
            text.append(c);
        }
        return parsed.append(text.toString()).build();
    }

    @Override
    public String nameParameter(String rawName, StatementContext ctx) {
        return "?";
    }
}
