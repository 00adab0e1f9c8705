package dev.bottleneck.optim;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.io.Json;

import java.util.Locale;
import java.util.Map;

/**
 * Which optimizer and its hyper-parameters (PyTorch defaults unless set).
 *
 * @param name        sgd, adam, adamw or rmsprop
 * @param lr          learning rate
 * @param momentum    SGD / RMSprop momentum
 * @param nesterov    SGD Nesterov momentum
 * @param beta1       Adam first-moment decay
 * @param beta2       Adam second-moment decay
 * @param eps         Adam / RMSprop epsilon
 * @param alpha       RMSprop smoothing constant
 * @param weightDecay L2 penalty (Adam, SGD, RMSprop) or decoupled decay (AdamW)
 */
public record OptimizerConfig(String name, double lr, double momentum, boolean nesterov, double beta1, double beta2,
                              double eps, double alpha, double weightDecay) {

    public OptimizerConfig {
        name = name.toLowerCase(Locale.ROOT);
        if (!(name.equals("sgd") || name.equals("adam") || name.equals("adamw") || name.equals("rmsprop"))) {
            throw new BottleneckException("unknown optimizer '" + name + "': expected sgd, adam, adamw or rmsprop");
        }
        if (!(lr > 0) || !Double.isFinite(lr)) throw new BottleneckException("learning rate must be positive, got " + lr);
        if (nesterov && momentum <= 0) throw new BottleneckException("Nesterov momentum needs --momentum > 0");
    }

    public static OptimizerConfig adam(double lr) {
        return new OptimizerConfig("adam", lr, 0, false, 0.9, 0.999, 1e-8, 0.99, 0);
    }

    public static OptimizerConfig adamw(double lr, double weightDecay) {
        return new OptimizerConfig("adamw", lr, 0, false, 0.9, 0.999, 1e-8, 0.99, weightDecay);
    }

    public static OptimizerConfig sgd(double lr, double momentum, boolean nesterov) {
        return new OptimizerConfig("sgd", lr, momentum, nesterov, 0.9, 0.999, 1e-8, 0.99, 0);
    }

    public static OptimizerConfig rmsprop(double lr) {
        return new OptimizerConfig("rmsprop", lr, 0, false, 0.9, 0.999, 1e-8, 0.99, 0);
    }

    /** Defaults for a named optimizer: adamw gets weight decay 0.01 as in PyTorch. */
    public static OptimizerConfig of(String name, double lr) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "adam": return adam(lr);
            case "adamw": return adamw(lr, 0.01);
            case "sgd": return sgd(lr, 0, false);
            case "rmsprop": return rmsprop(lr);
            default: throw new BottleneckException("unknown optimizer '" + name + "': expected sgd, adam, adamw or rmsprop");
        }
    }

    public OptimizerConfig withLr(double newLr) {
        return new OptimizerConfig(name, newLr, momentum, nesterov, beta1, beta2, eps, alpha, weightDecay);
    }

    public OptimizerConfig withMomentum(double m, boolean nest) {
        return new OptimizerConfig(name, lr, m, nest, beta1, beta2, eps, alpha, weightDecay);
    }

    public OptimizerConfig withWeightDecay(double wd) {
        return new OptimizerConfig(name, lr, momentum, nesterov, beta1, beta2, eps, alpha, wd);
    }

    public Map<String, Object> toMap() {
        return Json.object("name", name, "lr", lr, "momentum", momentum, "nesterov", nesterov, "beta1", beta1,
                "beta2", beta2, "eps", eps, "alpha", alpha, "weight_decay", weightDecay);
    }

    public static OptimizerConfig fromMap(Map<String, Object> m) {
        return new OptimizerConfig((String) m.get("name"), num(m, "lr"), num(m, "momentum"),
                Boolean.TRUE.equals(m.get("nesterov")), num(m, "beta1"), num(m, "beta2"), num(m, "eps"),
                num(m, "alpha"), num(m, "weight_decay"));
    }

    private static double num(Map<String, Object> m, String k) {
        Object v = m.get(k);
        if (!(v instanceof Number)) throw new BottleneckException("optimizer config lacks numeric '" + k + "'");
        return ((Number) v).doubleValue();
    }
}
