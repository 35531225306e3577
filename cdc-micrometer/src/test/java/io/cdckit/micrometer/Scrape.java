package io.cdckit.micrometer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** The samples of one scrape in Prometheus' text format: name, labels and value per line. */
final class Scrape {

    record Sample(String name, Map<String, String> labels, double value) {
    }

    private final List<Sample> samples;

    private Scrape(List<Sample> samples) {
        this.samples = samples;
    }

    /** Parses the text format; comment lines ({@code # HELP}, {@code # TYPE}) are skipped. */
    static Scrape parse(String text) {
        List<Sample> samples = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int i = 0;
            while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
                i++;
            }
            String name = line.substring(0, i);
            Map<String, String> labels = new LinkedHashMap<>();
            if (i < line.length() && line.charAt(i) == '{') {
                i++;
                while (line.charAt(i) != '}') {
                    int eq = line.indexOf('=', i);
                    String key = line.substring(i, eq);
                    i = eq + 2; // past ="
                    StringBuilder value = new StringBuilder();
                    while (line.charAt(i) != '"') {
                        char c = line.charAt(i);
                        if (c == '\\') {
                            char next = line.charAt(++i);
                            value.append(next == 'n' ? '\n' : next);
                        } else {
                            value.append(c);
                        }
                        i++;
                    }
                    i++; // past the closing quote
                    if (line.charAt(i) == ',') {
                        i++;
                    }
                    labels.put(key, value.toString());
                }
                i++;
            }
            String[] rest = line.substring(i).strip().split(" ");
            samples.add(new Sample(name, labels, Double.parseDouble(rest[0])));
        }
        return new Scrape(samples);
    }

    /** Names of every sample. */
    Set<String> names() {
        Set<String> names = new TreeSet<>();
        samples.forEach(s -> names.add(s.name()));
        return names;
    }

    /** The samples named {@code name} whose labels include {@code labels}. */
    List<Sample> find(String name, Map<String, String> labels) {
        return samples.stream().filter(s -> s.name().equals(name)
                && s.labels().entrySet().containsAll(labels.entrySet())).toList();
    }

    /** The value of the one sample named {@code name} with {@code labels}. */
    double value(String name, Map<String, String> labels) {
        List<Sample> found = find(name, labels);
        if (found.size() != 1) {
            throw new AssertionError("Expected one sample " + name + labels + ", found " + found);
        }
        return found.get(0).value();
    }
}
