package io.cdckit.api;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code types} block of {@link ChangeEventJson}: which type tag each column gets, and what
 * a tag means.
 */
final class ChangeEventJsonTypes {

    private ChangeEventJsonTypes() {
    }

    /**
     * A column's type: the element type and the number of array dimensions (0 for a scalar).
     * The element is null for an array without any non-null element, whose element type cannot
     * be known; it is written as {@code text} and gives way to any array type with at least as
     * many dimensions.
     */
    record Tag(ColumnType element, int dimensions) {

        /** The tag as written, such as {@code "int4"} or {@code "numeric[][]"}. */
        String text() {
            return (element == null ? ColumnType.TEXT.tag() : element.tag()) + "[]".repeat(dimensions);
        }

        /** The tag for a text such as {@code "int4[]"}, or null if the text is not a known tag. */
        static Tag parse(String text) {
            int dimensions = 0;
            String base = text;
            while (base.endsWith("[]")) {
                base = base.substring(0, base.length() - 2);
                dimensions++;
            }
            ColumnType element = ColumnType.ofTag(base);
            return element == null ? null : new Tag(element, dimensions);
        }

        /** The common tag of two values of one column, or null if they cannot share one. */
        static Tag merge(Tag a, Tag b) {
            if (a.equals(b)) {
                return a;
            }
            if (a.element == null && b.element == null) {
                return new Tag(null, Math.max(a.dimensions, b.dimensions));
            }
            if (a.element == null && b.dimensions >= a.dimensions) {
                return b;
            }
            if (b.element == null && a.dimensions >= b.dimensions) {
                return a;
            }
            return null;
        }
    }

    /**
     * The tags of all columns with a non-null value in the event's before, after or key, in order
     * of first appearance.
     *
     * @throws IllegalArgumentException naming the column if a value's class is not supported or
     *                                  a column holds values of two types
     */
    static Map<String, String> of(ChangeEvent event) {
        Map<String, Tag> tags = new LinkedHashMap<>();
        Map<String, String> seenIn = new LinkedHashMap<>();
        collect(tags, seenIn, "before", event.before());
        collect(tags, seenIn, "after", event.after());
        collect(tags, seenIn, "key", event.key());
        Map<String, String> result = new LinkedHashMap<>();
        tags.forEach((column, tag) -> result.put(column, tag.text()));
        return result;
    }

    private static void collect(Map<String, Tag> tags, Map<String, String> seenIn, String image,
                                Map<String, Object> row) {
        if (row == null) {
            return;
        }
        for (Map.Entry<String, Object> e : row.entrySet()) {
            String column = e.getKey();
            if (column == null) {
                throw new IllegalArgumentException("'" + image + "' has a column without a name (null)");
            }
            if (e.getValue() == null) {
                continue;
            }
            Tag tag = tagOf(column, image, e.getValue());
            Tag known = tags.get(column);
            if (known == null) {
                tags.put(column, tag);
                seenIn.put(column, image);
                continue;
            }
            Tag merged = Tag.merge(known, tag);
            if (merged == null) {
                throw new IllegalArgumentException("column '" + column + "' holds values of two types: "
                        + known.text() + " in '" + seenIn.get(column) + "' and " + tag.text() + " in '" + image + "'");
            }
            tags.put(column, merged);
        }
    }

    private static Tag tagOf(String column, String image, Object value) {
        if (value instanceof List<?> list) {
            Shape shape = new Shape();
            shape.walk(list, 1, column, image);
            if (shape.leaf == null) {
                return new Tag(null, shape.maxDepth);
            }
            if (shape.maxDepth != shape.leafDepth) {
                throw unevenArray(column, image);
            }
            return new Tag(shape.leaf, shape.leafDepth);
        }
        ColumnType type = ColumnType.ofValue(value);
        if (type == null) {
            throw unsupported(column, image, value);
        }
        return new Tag(type, 0);
    }

    private static IllegalArgumentException unsupported(String column, String image, Object value) {
        return new IllegalArgumentException("column '" + column + "' in '" + image + "' holds a "
                + value.getClass().getName() + ", which has no JSON type; supported are "
                + ColumnType.supportedClasses());
    }

    private static IllegalArgumentException unevenArray(String column, String image) {
        return new IllegalArgumentException("column '" + column + "' in '" + image
                + "' holds an array of uneven depth: every element at one level must be a value or"
                + " every one a nested array");
    }

    /** What a (possibly nested) list holds: its first non-null leaf's type and depth, and its depth. */
    private static final class Shape {
        ColumnType leaf;
        int leafDepth;
        int maxDepth;

        void walk(List<?> list, int depth, String column, String image) {
            maxDepth = Math.max(maxDepth, depth);
            for (Object element : list) {
                if (element == null) {
                    continue;
                }
                if (element instanceof List<?> sub) {
                    walk(sub, depth + 1, column, image);
                    continue;
                }
                ColumnType type = ColumnType.ofValue(element);
                if (type == null) {
                    throw unsupported(column, image, element);
                }
                if (leaf == null) {
                    leaf = type;
                    leafDepth = depth;
                } else if (type != leaf) {
                    throw new IllegalArgumentException("column '" + column + "' in '" + image
                            + "' holds an array mixing " + leaf.tag() + " and " + type.tag() + " elements");
                } else if (depth != leafDepth) {
                    throw unevenArray(column, image);
                }
            }
        }
    }
}
