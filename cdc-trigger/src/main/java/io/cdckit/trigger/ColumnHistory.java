package io.cdckit.trigger;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which current column each field of a logged row image is. PostgreSQL only appends columns and
 * only marks dropped ones (their attribute numbers stay), and a row's text form lists the columns
 * that existed and were not dropped when it was written. So an image of F fields was written when
 * the table had its first k attributes, some of the now-dropped ones among them already dropped,
 * with F = k - (already dropped). An image as wide as the table is now is read with the current
 * columns (what every entry logged since the last ALTER TABLE is); any other image is decoded only
 * when all its possible readings agree.
 */
final class ColumnHistory {

    /** Beyond this many dropped columns in reach, readings are not enumerated: ambiguous. */
    private static final int MAX_DROPPED = 12;

    private ColumnHistory() {
    }

    /**
     * For each live column (in order), the index of the image field holding it, or -1 when the
     * column did not exist yet; null when the image has no reading or more than one.
     *
     * @param dropped    for each attribute number from 1, whether that column is dropped now
     * @param fieldCount number of fields in the image
     */
    static int[] mapping(List<Boolean> dropped, int fieldCount) {
        int n = dropped.size();
        int live = (int) dropped.stream().filter(d -> !d).count();
        if (fieldCount == live) {
            int[] identity = new int[live];
            for (int i = 0; i < live; i++) {
                identity[i] = i;
            }
            return identity;
        }
        Set<List<Integer>> readings = new LinkedHashSet<>();
        for (int k = 1; k <= n; k++) {
            List<Integer> droppedInReach = new ArrayList<>();
            for (int a = 0; a < k; a++) {
                if (dropped.get(a)) {
                    droppedInReach.add(a);
                }
            }
            int alreadyDropped = k - fieldCount;
            if (alreadyDropped < 0 || alreadyDropped > droppedInReach.size()) {
                continue;
            }
            if (droppedInReach.size() > MAX_DROPPED) {
                return null;
            }
            for (int subset = 0; subset < (1 << droppedInReach.size()); subset++) {
                if (Integer.bitCount(subset) != alreadyDropped) {
                    continue;
                }
                int[] attributeField = new int[n];
                java.util.Arrays.fill(attributeField, -1);
                int field = 0;
                for (int a = 0; a < k; a++) {
                    int pos = droppedInReach.indexOf(a);
                    if (pos >= 0 && (subset & (1 << pos)) != 0) {
                        continue;
                    }
                    attributeField[a] = field++;
                }
                List<Integer> reading = new ArrayList<>();
                for (int a = 0; a < n; a++) {
                    if (!dropped.get(a)) {
                        reading.add(attributeField[a]);
                    }
                }
                readings.add(reading);
            }
        }
        if (readings.size() != 1) {
            return null;
        }
        return readings.iterator().next().stream().mapToInt(Integer::intValue).toArray();
    }
}
