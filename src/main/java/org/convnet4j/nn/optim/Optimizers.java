package org.convnet4j.nn.optim;

import java.util.List;
import java.util.Locale;
import org.convnet4j.backend.Backend;

/**
 * Optimizers by name, with the usual hyperparameters:
 * <ul>
 *   <li>"sgd": {@link Sgd}</li>
 *   <li>"momentum": {@link Momentum}, momentum 0.9</li>
 *   <li>"nesterov": {@link Momentum} with Nesterov's update, momentum 0.9</li>
 *   <li>"adagrad": {@link AdaGrad}, eps 1e-10 (PyTorch's)</li>
 *   <li>"rmsprop": {@link RmsProp}, decay 0.99, eps 1e-8 (PyTorch's)</li>
 *   <li>"adam": {@link Adam}, beta1 0.9, beta2 0.999, eps 1e-8</li>
 * </ul>
 */
public final class Optimizers {
    private static final List<String> NAMES = List.of("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam");

    private Optimizers() {
    }

    public static List<String> names() {
        return NAMES;
    }

    /** A new optimizer; IllegalArgumentException naming the known ones for an unknown name. */
    public static Optimizer create(String name, Backend backend, float lr, float weightDecay) {
        String n = name == null ? "" : name.toLowerCase(Locale.ROOT);
        return switch (n) {
            case "sgd" -> new Sgd(backend, lr, weightDecay);
            case "momentum" -> new Momentum(backend, lr, 0.9f, weightDecay, false);
            case "nesterov" -> new Momentum(backend, lr, 0.9f, weightDecay, true);
            case "adagrad" -> new AdaGrad(backend, lr, 1e-10f, weightDecay);
            case "rmsprop" -> new RmsProp(backend, lr, 0.99f, 1e-8f, weightDecay);
            case "adam" -> new Adam(backend, lr, 0.9f, 0.999f, 1e-8f, weightDecay);
            default -> throw new IllegalArgumentException("unknown optimizer '" + name + "'; known: " + NAMES);
        };
    }
}
