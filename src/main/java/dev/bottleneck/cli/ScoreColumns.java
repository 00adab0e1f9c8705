package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.data.CsvReader;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How {@code score} reads a new CSV file with the options a model was trained with: the same delimiter, header rule,
 * skipped columns, id and label columns where the new file has them (a file to score often has no label column), and
 * the feature columns checked against the ones the model was trained on, by name where config.json records them.
 */
final class ScoreColumns {
    private ScoreColumns() {}

    /**
     * The options to read {@code file} with.
     *
     * @param saved         the CSV options of the training data (defaults when it was no CSV file)
     * @param features      the names of the training data's feature columns, in order, or null when not recorded
     * @param expected      values per row the model takes (-1: not known)
     * @param idOverride    --id-column, or null
     * @param labelOverride --label-column, or null
     */
    static CsvReader.Options fit(Path file, CsvReader.Options saved, List<String> features, int expected, String idOverride,
                                 String labelOverride) {
        List<String> header = CsvReader.headerNames(file, saved);
        CsvReader.Builder b = CsvReader.options().header(saved.header()).delimiter(saved.delimiter());
        for (String s : saved.skipNames()) if (has(header, s)) b.skipColumns(s);
        for (int i : saved.skipIndices()) b.skipColumnIndices(i);
        if (idOverride != null) {
            b.idColumnSpec(idOverride);
        } else if (saved.idName() != null && has(header, saved.idName())) {
            b.idColumn(saved.idName());
        } else if (saved.idIndex() != null) {
            b.idColumn(saved.idIndex());
        }
        CsvReader.Options base = b.build();
        List<CsvReader.Options> candidates = new ArrayList<>();
        if (labelOverride != null) {
            candidates.add(base.toBuilder().labelColumnSpec(labelOverride).build());
        } else if (saved.labelName() != null) {
            // the label column is passed through where the file has it
            candidates.add(has(header, saved.labelName()) ? base.toBuilder().labelColumn(saved.labelName()).build() : base);
        } else if (saved.labelIndex() != null) {
            candidates.add(base.toBuilder().labelColumn(saved.labelIndex()).build());
            candidates.add(base);
        } else {
            candidates.add(base);
        }
        List<String> first = null;
        for (CsvReader.Options c : candidates) {
            List<String> names = CsvReader.featureNames(file, c);
            if (first == null) first = names;
            if (features != null ? names.equals(features) : expected < 0 || names.size() == expected) return c;
        }
        if (features != null) {
            throw new BottleneckException(file + ": the feature columns " + first + " are not the " + features.size() + " the model was"
                    + " trained on, " + features + " (in this order); rename or reorder the columns, or name the columns that are"
                    + " no features with --id-column / --label-column");
        }
        throw new BottleneckException(file + ": " + first.size() + " feature columns " + first + ", but the model takes " + expected
                + " values per row; drop or add columns, or name the columns that are no features with --id-column / --label-column");
    }

    /** Whether a header has the column (exactly, else ignoring case, as the CSV reader finds it). */
    private static boolean has(List<String> header, String name) {
        if (header == null) return false;
        for (String h : header) if (h.equalsIgnoreCase(name)) return true;
        return false;
    }
}
