package io.cdckit.examples;

import io.cdckit.api.TableId;

import java.util.List;

/**
 * The e-commerce schema of the demo and the examples: customers, products and orders, each with
 * a primary key and an {@code updated_at} column (which the timestamp strategy needs).
 */
public final class EcommerceSchema {

    /** {@code public.customers}. */
    public static final TableId CUSTOMERS = new TableId("public", "customers");
    /** {@code public.products}. */
    public static final TableId PRODUCTS = new TableId("public", "products");
    /** {@code public.orders}. */
    public static final TableId ORDERS = new TableId("public", "orders");

    private EcommerceSchema() {
    }

    /** The tables, in creation order. */
    public static List<TableId> tables() {
        return List.of(CUSTOMERS, PRODUCTS, ORDERS);
    }

    /** The DDL creating the tables (if missing). */
    public static List<String> ddl() {
        return List.of(
                "CREATE TABLE IF NOT EXISTS public.customers (id bigint PRIMARY KEY, name text NOT NULL,"
                        + " email text NOT NULL, segment text NOT NULL DEFAULT 'standard',"
                        + " created_at timestamptz NOT NULL DEFAULT clock_timestamp(),"
                        + " updated_at timestamptz NOT NULL DEFAULT clock_timestamp())",
                "CREATE TABLE IF NOT EXISTS public.products (id bigint PRIMARY KEY, name text NOT NULL,"
                        + " price numeric(10,2) NOT NULL, stock int NOT NULL,"
                        + " updated_at timestamptz NOT NULL DEFAULT clock_timestamp())",
                "CREATE TABLE IF NOT EXISTS public.orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL,"
                        + " total_amount numeric(12,2) NOT NULL, status text NOT NULL DEFAULT 'pending',"
                        + " created_at timestamptz NOT NULL DEFAULT clock_timestamp(),"
                        + " updated_at timestamptz NOT NULL DEFAULT clock_timestamp())");
    }
}
