package dev.bottleneck.data;

import dev.bottleneck.BottleneckException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The files of a folder laid out as classes, as image and text folders are: with sub-folders (hidden ones aside; links
 * are followed), each sorted sub-folder that holds files is a class, labelled 0, 1, ... in that order, and its files are
 * taken in sorted order, files directly in the folder being ignored; without sub-folders, the folder's own sorted files
 * without labels.
 *
 * @param labels one per file, or null without class sub-folders
 */
public record ClassFolderListing(List<Path> files, int[] labels, List<String> classes) {
    public ClassFolderListing {
        files = List.copyOf(files);
        classes = List.copyOf(classes);
    }

    /**
     * @param item   which regular files count
     * @param none   the message when no file counts
     */
    public static ClassFolderListing list(Path dir, Predicate<Path> item, String none) {
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        List<String> classes = new ArrayList<>();
        try {
            List<Path> subdirs;
            try (Stream<Path> s = Files.list(dir)) {
                subdirs = s.filter(p -> Files.isDirectory(p) && !p.getFileName().toString().startsWith(".")).sorted().toList();
            }
            if (!subdirs.isEmpty()) {
                for (Path sub : subdirs) {
                    List<Path> found = files(sub, item);
                    if (found.isEmpty()) continue;
                    int label = classes.size();
                    classes.add(sub.getFileName().toString());
                    for (Path f : found) {
                        files.add(f);
                        labels.add(label);
                    }
                }
            } else {
                files.addAll(files(dir, item));
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new BottleneckException("cannot list " + dir + ": " + e.getMessage());
        }
        if (files.isEmpty()) throw new BottleneckException(none);
        int[] lab = classes.isEmpty() ? null : labels.stream().mapToInt(Integer::intValue).toArray();
        return new ClassFolderListing(files, lab, classes);
    }

    private static List<Path> files(Path dir, Predicate<Path> item) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> Files.isRegularFile(p) && item.test(p)).sorted().toList();
        }
    }
}
