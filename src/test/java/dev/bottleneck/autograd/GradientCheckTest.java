package dev.bottleneck.autograd;

import dev.bottleneck.backend.Activation;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.BinaryOp;
import dev.bottleneck.backend.Loss;
import dev.bottleneck.backend.UnaryOp;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.model.ModelSpec;
import dev.bottleneck.model.Regularizer;
import dev.bottleneck.nn.ActivationLayer;
import dev.bottleneck.nn.Dropout;
import dev.bottleneck.nn.Init;
import dev.bottleneck.nn.Linear;
import dev.bottleneck.nn.ParameterStore;
import dev.bottleneck.nn.Reshape;
import dev.bottleneck.nn.Sequential;
import dev.bottleneck.tensor.DType;
import dev.bottleneck.testing.BackendsUnderTest;
import dev.bottleneck.testing.HostData;
import dev.bottleneck.testing.GradCheck;
import dev.bottleneck.testing.GradCheck.In;
import dev.bottleneck.testing.GradCheck.Setup;
import dev.bottleneck.testing.TensorScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static dev.bottleneck.testing.Asserts.assertClose;
import static dev.bottleneck.testing.GradCheck.check;
import static dev.bottleneck.testing.GradCheck.constant;
import static dev.bottleneck.testing.GradCheck.in;
import static dev.bottleneck.testing.GradCheck.randomize;
import static dev.bottleneck.testing.GradCheck.store;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finite-difference gradient checks in float64 for every autograd op and module: no backward pass is trusted until it
 * agrees with central differences of its forward pass.
 *
 * <p>The harness and its tolerance are {@link GradCheck}'s: {@code L = sum(f(inputs) * R)} with a fixed random R,
 * every input and parameter gradient element against central differences. Inputs stay away from kinks (ReLU, |x|,
 * L1) and poles (log, 1/x, division) so the function is smooth within eps.
 * Sizes are odd (7x4, 3x5...) so transposes and broadcasts cannot line up by accident.
 */
class GradientCheckTest {
    private final Backend be = BackendsUnderTest.reference();

    private static SplittableRandom rnd(String what) {
        return new SplittableRandom(0xB0771E ^ what.hashCode());
    }

    // --------------------------------------------------------------------------------------------- ops

    @Test
    void referenceIsFloat64() {
        assertEquals(DType.F64, be.dtype());
    }

    @ParameterizedTest(name = "linear bias={0}")
    @CsvSource({"true", "false"})
    void linear(boolean bias) {
        SplittableRandom r = rnd("linear" + bias);
        In x = in("x", HostData.signed(r, 7 * 4), 7, 4);
        In w = in("w", HostData.signed(r, 3 * 4), 3, 4);
        In b = in("b", HostData.signed(r, 3), 3);
        if (bias) check("linear with bias", (g, v) -> g.linear(v[0], v[1], v[2]), x, w, b);
        else check("linear without bias", (g, v) -> g.linear(v[0], v[1], null), x, w);
    }

    @ParameterizedTest(name = "matmul transA={0} transB={1}")
    @CsvSource({"false,false", "false,true", "true,false", "true,true"})
    void matmul(boolean ta, boolean tb) {
        int m = 3, k = 5, n = 4;
        SplittableRandom r = rnd("matmul" + ta + tb);
        In a = ta ? in("A", HostData.signed(r, k * m), k, m) : in("A", HostData.signed(r, m * k), m, k);
        In b = tb ? in("B", HostData.signed(r, n * k), n, k) : in("B", HostData.signed(r, k * n), k, n);
        check("matmul " + ta + "," + tb, (g, v) -> {
            Var c = g.matmul(v[0], v[1], ta, tb);
            assertEquals(List.of(m, n), List.of(c.shape()[0], c.shape()[1]), "matmul output shape");
            return c;
        }, a, b);
    }

    /** Broadcast cases: the shape of b against a = [7, 4] (and one case where a is the stretched one). */
    enum Bcast {
        SAME(new int[] {7, 4}, new int[] {7, 4}),
        ROW(new int[] {7, 4}, new int[] {4}),
        ROW_2D(new int[] {7, 4}, new int[] {1, 4}),
        COLUMN(new int[] {7, 4}, new int[] {7, 1}),
        SCALAR(new int[] {7, 4}, new int[] {1}),
        A_STRETCHED(new int[] {4}, new int[] {7, 4}),
        BOTH_STRETCHED(new int[] {7, 1}, new int[] {1, 4}),
        RANK3(new int[] {2, 3, 5}, new int[] {3, 1});

        final int[] a, b;

        Bcast(int[] a, int[] b) {
            this.a = a;
            this.b = b;
        }
    }

    @ParameterizedTest(name = "binary {0} {1}")
    @CsvSource({
            "ADD,SAME", "ADD,ROW", "ADD,ROW_2D", "ADD,COLUMN", "ADD,SCALAR", "ADD,A_STRETCHED", "ADD,BOTH_STRETCHED", "ADD,RANK3",
            "SUB,SAME", "SUB,ROW", "SUB,ROW_2D", "SUB,COLUMN", "SUB,SCALAR", "SUB,A_STRETCHED", "SUB,BOTH_STRETCHED", "SUB,RANK3",
            "MUL,SAME", "MUL,ROW", "MUL,ROW_2D", "MUL,COLUMN", "MUL,SCALAR", "MUL,A_STRETCHED", "MUL,BOTH_STRETCHED", "MUL,RANK3",
            "DIV,SAME", "DIV,ROW", "DIV,ROW_2D", "DIV,COLUMN", "DIV,SCALAR", "DIV,A_STRETCHED", "DIV,BOTH_STRETCHED", "DIV,RANK3"})
    void binary(BinaryOp op, Bcast c) {
        SplittableRandom r = rnd("binary" + op + c);
        In a = in("a", HostData.signed(r, HostData.size(c.a)), c.a);
        // divisors in [0.5, 1.5] in magnitude: no pole within eps
        In b = in("b", op == BinaryOp.DIV ? HostData.awayFromZero(r, HostData.size(c.b), 0.5, 1.5)
                : HostData.signed(r, HostData.size(c.b)), c.b);
        check("binary " + op + " " + c, (g, v) -> g.binary(op, v[0], v[1]), a, b);
    }

    @Test
    void sameVariableOnBothSides() {
        SplittableRandom r = rnd("x*x");
        In x = in("x", HostData.awayFromZero(r, 15, 0.5, 1.5), 3, 5);
        check("x * x", (g, v) -> g.mul(v[0], v[0]), x);
        check("(x / x) * x + x", (g, v) -> g.add(g.mul(g.div(v[0], v[0]), v[0]), v[0]), x);
        // fan-out: x feeds three branches whose results are added
        check("exp(x) + x^2 + 3x", (g, v) -> g.add(g.add(g.unary(UnaryOp.EXP, v[0]), g.unary(UnaryOp.SQUARE, v[0])),
                g.scale(v[0], 3)), x);
    }

    /** The harness itself must catch a wrong gradient: x * detach(x) has analytic gradient x, numeric 2x. */
    @Test
    void harnessDetectsAWrongGradient() {
        SplittableRandom r = rnd("self-test");
        In x = in("x", HostData.awayFromZero(r, 15, 0.5, 1.5), 3, 5);
        org.opentest4j.AssertionFailedError e = org.junit.jupiter.api.Assertions.assertThrows(org.opentest4j.AssertionFailedError.class,
                () -> check("x * detach(x)", (g, v) -> g.mul(v[0], g.constant(v[0].value())), x));
        assertTrue(e.getMessage().contains("worst at index"), e.getMessage());
    }

    @Test
    void affineAndScale() {
        SplittableRandom r = rnd("affine");
        In x = in("x", HostData.signed(r, 21), 7, 3);
        check("affine 2.5x - 0.75", (g, v) -> g.affine(v[0], 2.5, -0.75), x);
        check("scale -1.25x", (g, v) -> g.scale(v[0], -1.25), x);
    }

    @ParameterizedTest(name = "unary {0}")
    @EnumSource(value = UnaryOp.class, names = {"NEG", "EXP", "LOG", "SQRT", "SQUARE", "ABS", "RECIPROCAL"})
    void unary(UnaryOp op) {
        SplittableRandom r = rnd("unary" + op);
        double[] x;
        switch (op) {
            case LOG: case SQRT: x = HostData.uniform(r, 35, 0.3, 2.0); break; // positive
            case ABS: case RECIPROCAL: x = HostData.awayFromZero(r, 35, 0.3, 1.5); break; // away from 0
            default: x = HostData.signed(r, 35);
        }
        check("unary " + op, (g, v) -> g.unary(op, v[0]), in("x", x, 7, 5));
    }

    @ParameterizedTest(name = "activation {0}")
    @EnumSource(Activation.class)
    void activation(Activation kind) {
        SplittableRandom r = rnd("act" + kind);
        // every activation on inputs away from the kink at 0 (ReLU, leaky ReLU, ELU), spread over [-3, 3]
        double[] x = HostData.awayFromZero(r, 35, 0.05, 3.0);
        if (kind == Activation.IDENTITY) {
            // identity returns its input unchanged; check it through a following op so a gradient flows
            check("activation IDENTITY", (g, v) -> g.scale(g.activation(kind, v[0]), 1.0), in("x", x, 5, 7));
            return;
        }
        check("activation " + kind, (g, v) -> g.activation(kind, v[0]), in("x", x, 5, 7));
        if (kind == Activation.LEAKY_RELU || kind == Activation.ELU) {
            check("activation " + kind + " alpha 0.3", (g, v) -> g.activation(kind, 0.3, v[0]), in("x", x, 5, 7));
        }
    }

    @ParameterizedTest(name = "loss {0} {1}")
    @CsvSource({"MSE,MEAN", "MSE,SUM_PER_SAMPLE", "BCE,MEAN", "BCE,SUM_PER_SAMPLE",
            "BCE_WITH_LOGITS,MEAN", "BCE_WITH_LOGITS,SUM_PER_SAMPLE", "L1,MEAN", "L1,SUM_PER_SAMPLE"})
    void loss(Loss kind, Loss.Reduction red) {
        SplittableRandom r = rnd("loss" + kind + red);
        double[] t = HostData.uniform(r, 21, 0, 1);
        double[] p;
        switch (kind) {
            case BCE: p = HostData.uniform(r, 21, 0.05, 0.95); break; // inside the clamp
            case BCE_WITH_LOGITS: p = HostData.uniform(r, 21, -3, 3); break;
            case L1: { // away from the kink p == t
                p = HostData.awayFromZero(r, 21, 0.05, 0.5);
                for (int i = 0; i < p.length; i++) p[i] += t[i];
                break;
            }
            default: p = HostData.signed(r, 21);
        }
        check("loss " + kind + " " + red, (g, v) -> g.loss(kind, red, v[0], v[1]), in("pred", p, 7, 3), constant("target", t, 7, 3));
        // the loss as an inner node: its upstream gradient is not 1
        check("3 * loss " + kind + " " + red, (g, v) -> g.scale(g.loss(kind, red, v[0], v[1]), 3.0),
                in("pred", p, 7, 3), constant("target", t, 7, 3));
    }

    @Test
    void sumAndMean() {
        SplittableRandom r = rnd("sum");
        In x = in("x", HostData.signed(r, 15), 3, 5);
        check("sum", (g, v) -> g.sum(v[0]), x);
        check("mean", (g, v) -> g.mean(v[0]), x);
        check("mean of sum (chained scalars)", (g, v) -> g.scale(g.mean(g.unary(UnaryOp.SQUARE, v[0])), 2), x);
    }

    @ParameterizedTest(name = "sumTo {0}")
    @CsvSource({"4", "1 4", "7 1", "1", "7 4"})
    void sumTo(String target) {
        int[] shape = Arrays.stream(target.split(" ")).mapToInt(Integer::parseInt).toArray();
        SplittableRandom r = rnd("sumTo" + target);
        check("sumTo " + Arrays.toString(shape), (g, v) -> {
            Var y = g.sumTo(v[0], shape);
            assertTrue(Arrays.equals(shape, y.shape()), "sumTo shape");
            return y;
        }, in("x", HostData.signed(r, 28), 7, 4));
    }

    @Test
    void sumToRank3() {
        SplittableRandom r = rnd("sumTo3");
        check("sumTo [2,3,5] -> [3,1]", (g, v) -> g.sumTo(v[0], 3, 1), in("x", HostData.signed(r, 30), 2, 3, 5));
    }

    @Test
    void reshape() {
        SplittableRandom r = rnd("reshape");
        In x = in("x", HostData.signed(r, 12), 3, 4);
        check("reshape [3,4] -> [2,6]", (g, v) -> g.reshape(v[0], 2, 6), x);
        // reshape followed by an op that depends on the layout
        In w = in("w", HostData.signed(r, 6), 6);
        check("reshape then broadcast multiply", (g, v) -> g.mul(g.reshape(v[0], 2, 6), v[1]), x, w);
    }

    @Test
    void dropoutInTraining() {
        SplittableRandom r = rnd("dropout");
        In x = in("x", HostData.signed(r, 35), 7, 5);
        Setup training = new Setup(null, true, 1234);
        // the mask is a pure function of (graph seed, counter): identical in every evaluation, so FD applies
        check("dropout 0.4 (training, seed 1234)", training, (g, v) -> g.dropout(v[0], 0.4), x);
        // and it really drops: some elements zero, the others scaled by 1/(1-rate)
        try (TensorScope s = new TensorScope(be); Graph g = new Graph(be, true, false, 1234)) {
            double[] xs = x.data();
            double[] y = s.get(g.dropout(g.constant(s.tensor(xs, 7, 5)), 0.4).value());
            int dropped = 0;
            for (int i = 0; i < y.length; i++) {
                if (y[i] == 0) dropped++;
                else assertClose(xs[i] / 0.6, y[i], 1e-12, 0, "kept element scaled by 1/(1-rate)");
            }
            assertTrue(dropped > 3 && dropped < 32, "dropout 0.4 dropped " + dropped + " of 35");
        }
        // inference: identity
        check("dropout at inference", (g, v) -> g.scale(g.dropout(v[0], 0.4), 1.0), x);
    }

    // --------------------------------------------------------------------------------------------- modules

    @ParameterizedTest(name = "Linear module bias={0}")
    @CsvSource({"true", "false"})
    void linearModule(boolean bias) {
        Linear lin = new Linear(5, 3, bias, Init.XAVIER_UNIFORM);
        try (ParameterStore st = store(lin, 11)) {
            assertEquals(bias ? 18 : 15, st.size());
            SplittableRandom r = rnd("Linear" + bias);
            check("Linear(5 -> 3) bias=" + bias, new Setup(st, false, 0), (g, v) -> lin.forward(g, v[0]),
                    in("x", HostData.signed(r, 35), 7, 5));
        }
    }

    @Test
    void linearModuleFlattensRank3Input() {
        Linear lin = new Linear(6, 4, true, Init.HE_UNIFORM);
        try (ParameterStore st = store(lin, 12)) {
            SplittableRandom r = rnd("Linear3");
            check("Linear(6 -> 4) on [3,2,3]", new Setup(st, false, 0), (g, v) -> lin.forward(g, v[0]),
                    in("x", HostData.signed(r, 18), 3, 2, 3));
        }
    }

    @ParameterizedTest(name = "ActivationLayer {0}")
    @EnumSource(value = Activation.class, names = {"IDENTITY"}, mode = EnumSource.Mode.EXCLUDE)
    void activationLayer(Activation kind) {
        SplittableRandom r = rnd("layer" + kind);
        ActivationLayer layer = new ActivationLayer(kind, kind == Activation.ELU ? 0.7 : kind.defaultAlpha);
        check("ActivationLayer " + kind, (g, v) -> layer.forward(g, v[0]), in("x", HostData.awayFromZero(r, 21, 0.05, 2.5), 3, 7));
    }

    @Test
    void dropoutModule() {
        Dropout d = new Dropout(0.25);
        SplittableRandom r = rnd("Dropout");
        check("Dropout(0.25) training", new Setup(null, true, 99), (g, v) -> d.forward(g, v[0]), in("x", HostData.signed(r, 28), 7, 4));
    }

    @Test
    void sequentialWithDropoutAndTiedLayer() {
        Linear first = new Linear(5, 4, true, Init.XAVIER_UNIFORM);
        Linear tied = new Linear(4, 4, true, Init.XAVIER_UNIFORM); // used twice: gradients must add up in the arena
        Sequential seq = new Sequential(first, new ActivationLayer(Activation.TANH), tied, new ActivationLayer(Activation.GELU),
                new Dropout(0.3), tied, new ActivationLayer(Activation.SIGMOID));
        try (ParameterStore st = store(seq, 21)) {
            assertEquals(24 + 20, st.size(), "the tied layer is stored once");
            SplittableRandom r = rnd("Sequential");
            check("Sequential with tied Linear and dropout", new Setup(st, true, 5), (g, v) -> seq.forward(g, v[0]),
                    in("x", HostData.signed(r, 35), 7, 5));
        }
    }

    @Test
    void reshapeModules() {
        SplittableRandom r = rnd("Reshape");
        In x = in("x", HostData.signed(r, 30), 5, 2, 3);
        Reshape flat = Reshape.flatten();
        check("Flatten [5,2,3] -> [5,6]", (g, v) -> {
            Var y = flat.forward(g, v[0]);
            assertTrue(Arrays.equals(new int[] {5, 6}, y.shape()), "flatten shape " + Arrays.toString(y.shape()));
            return g.scale(y, 1.0);
        }, x);
        Reshape to = Reshape.to(3, 2);
        Linear lin = new Linear(6, 2, true, Init.XAVIER_UNIFORM);
        Sequential seq = new Sequential(to, Reshape.flatten(), lin);
        try (ParameterStore st = store(seq, 31)) {
            check("Reshape.to(3,2) -> Flatten -> Linear", new Setup(st, false, 0), (g, v) -> seq.forward(g, v[0]), x);
        }
    }

    // --------------------------------------------------------------------------------------------- whole models

    private void checkAutoencoder(String what, Autoencoder model, long seed, boolean training, int[] inputShape,
                                  boolean objectiveFromOutput) {
        model.bind(be, seed);
        try {
            randomize(model.params(), seed + 1);
            SplittableRandom r = rnd(what);
            int n = HostData.size(inputShape);
            In x = in("input", HostData.uniform(r, n, 0.05, 0.95), inputShape);
            In t = constant("target", HostData.uniform(r, n, 0.05, 0.95), inputShape);
            int compared = check(what, new Setup(model.params(), training, seed + 2), (g, v) -> {
                Autoencoder.Forward fw = model.forward(g, v[0], v[1], objectiveFromOutput);
                return objectiveFromOutput ? g.add(g.sum(fw.output()), fw.loss()) : fw.loss();
            }, x, t);
            assertEquals(n + model.params().size(), compared);
        } finally {
            model.close();
        }
    }

    @Test
    void autoencoderBceSigmoidLogitsPathWithL1AndDropout() {
        Autoencoder model = Autoencoder.builder(8)
                .dense(5, "relu").dropout(0.2).dense(3, "tanh")
                .decoder().dense(5, "elu").dense(8, "sigmoid")
                .loss(Loss.BCE).l1Activity(0.05).build();
        assertTrue(model.summary().contains("computed from logits"), "BCE + sigmoid must take the logits path");
        checkAutoencoder("autoencoder 8-5:relu-3:tanh BCE+sigmoid (logits) + L1 + dropout", model, 40, true, new int[] {7, 8}, false);
    }

    @Test
    void autoencoderOutputOfLogitsPath() {
        Autoencoder model = Autoencoder.builder(8).dense(5, "tanh").dense(3, "tanh")
                .decoder().dense(5, "tanh").dense(8, "sigmoid").loss(Loss.BCE).build();
        checkAutoencoder("autoencoder sigmoid output + loss", model, 41, false, new int[] {3, 8}, true);
    }

    @Test
    void autoencoderDenseSpecMseWithL1() {
        ModelSpec spec = ModelSpec.dense("8-5:relu-3:tanh", "relu", "linear", Loss.MSE)
                .withRegularizers(List.of(new Regularizer.L1Activity(0.1).spec()));
        checkAutoencoder("autoencoder dense 8-5:relu-3:tanh MSE + L1", new Autoencoder(spec), 42, false, new int[] {7, 8}, false);
    }

    @Test
    void autoencoderSumPerSampleBceSpec() {
        ModelSpec spec = ModelSpec.dense("8-5:gelu-3:tanh", "softplus", "sigmoid", Loss.BCE)
                .withLoss(Loss.BCE, Loss.Reduction.SUM_PER_SAMPLE);
        checkAutoencoder("autoencoder dense BCE sum-per-sample", new Autoencoder(spec), 43, false, new int[] {5, 8}, false);
    }

    @Test
    void autoencoderOnShapedInput() {
        Autoencoder model = Autoencoder.builder(2, 4).dense(3, "tanh").decoder().dense(8, "linear")
                .loss(Loss.L1).l1Activity(0.02).build(); // L1 loss: the prediction never equals the target exactly
        checkAutoencoder("autoencoder on [2,4] samples (flatten + reshape) L1", model, 44, false, new int[] {3, 2, 4}, false);
    }
}
