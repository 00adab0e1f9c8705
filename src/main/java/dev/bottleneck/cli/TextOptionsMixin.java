package dev.bottleneck.cli;

import dev.bottleneck.data.TextFolderReader;
import dev.bottleneck.data.TextVectorizer;
import picocli.CommandLine.Option;

/** How a folder of text documents becomes vectors: vocabulary size, weighting, stop words. Shared by train and compare-pca. */
final class TextOptionsMixin {
    @Range(min = 1)
    @Option(names = "--text-vocab", paramLabel = "N", defaultValue = "" + TextFolderReader.DEFAULT_VOCAB,
            description = "Text folders: the vocabulary, the N terms found in the most training documents (default: ${DEFAULT-VALUE}).")
    int vocab;

    @Option(names = "--text-weight", paramLabel = "tfidf|count|binary", defaultValue = "tfidf",
            description = "Text folders: TF-IDF (unit-length vectors), term counts (bag of words) or presence (default: ${DEFAULT-VALUE}).")
    String weight;

    @Option(names = "--stop-words", paramLabel = "english|none|FILE", defaultValue = "english",
            description = "Text folders: words left out of the vocabulary, the built-in English list, none, or a file with one word a line"
                    + " (default: ${DEFAULT-VALUE}).")
    String stopWords;

    TextFolderReader.Options options() {
        return new TextFolderReader.Options(vocab, TextVectorizer.Weight.parse(weight), stopWords, null);
    }
}
