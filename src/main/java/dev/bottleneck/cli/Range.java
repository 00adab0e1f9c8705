package dev.bottleneck.cli;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The allowed values of a numeric option, checked by {@link Main} after parsing and before the command runs; a
 * value outside the range is a usage error (exit status 2) naming the option, the range and the value. Unset
 * options (a null {@code Integer}) are not checked.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
@interface Range {
    /** The smallest allowed value. */
    double min() default Double.NEGATIVE_INFINITY;

    /** The largest allowed value. */
    double max() default Double.POSITIVE_INFINITY;

    /** When true, {@link #min()} itself is not allowed (e.g. a learning rate must be greater than 0). */
    boolean minExclusive() default false;

    /** When true, {@link #max()} itself is not allowed (e.g. a fraction below 1). */
    boolean maxExclusive() default false;
}
