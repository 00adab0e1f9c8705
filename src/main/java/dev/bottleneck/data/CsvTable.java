package dev.bottleneck.data;

import java.util.List;

/**
 * What {@link CsvReader} read: the numeric data set plus the names needed to interpret it.
 *
 * @param dataset       the feature columns as a data set of sample shape {D}, with labels if a label column was chosen
 * @param featureNames  the names of the D feature columns, in order (from the header, or "column N", 1-based)
 * @param labelColumn   the name of the label column, or null when there is none
 * @param labelNames    when the label cells were not integers: the distinct label strings, index = label value,
 *                      in order of first appearance; null when the labels were integers (or absent)
 * @param idColumn      the name of the id column whose cells are the rows' {@link Dataset#ids}, or null when the ids are
 *                      the rows' line numbers
 */
public record CsvTable(Dataset dataset, List<String> featureNames, String labelColumn, List<String> labelNames, String idColumn) {
    public CsvTable(Dataset dataset, List<String> featureNames, String labelColumn, List<String> labelNames) {
        this(dataset, featureNames, labelColumn, labelNames, null);
    }

    public CsvTable {
        featureNames = List.copyOf(featureNames);
        labelNames = labelNames == null ? null : List.copyOf(labelNames);
    }
}
