package org.convnet4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.convnet4j.tensor.DataType;
import org.convnet4j.tensor.Shape;
import org.convnet4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** gatherRows on host fakes: one gather_rows_u32 launch with the row geometry; bad shapes named before it. */
class GatherRowsTest {
    private final HostFakes.Rig rig = HostFakes.Rig.create();
    private final CudaBackend b = rig.backend();

    @Test
    void oneLaunchPerBatchWithTheRowGeometry() {
        Tensor images = b.allocate(Shape.of(1000, 1, 28, 28));
        Tensor labels = b.allocate(Shape.of(1000), DataType.INT32);
        Tensor order = b.allocate(Shape.of(1000), DataType.INT32);
        Tensor x = b.allocate(Shape.of(64, 1, 28, 28));
        Tensor y = b.allocate(Shape.of(64), DataType.INT32);
        b.gatherRows(images, order, 936, x);
        b.gatherRows(labels, order, 936, y);
        HostFakes.Launch img = rig.runner().launches.get(0);
        HostFakes.Launch lab = rig.runner().launches.get(1);
        assertEquals("gather_rows_u32", img.kernel());
        assertEquals(936, img.args()[2]);
        assertEquals(64, img.args()[4]);
        assertEquals(784, img.args()[5], "floats per row");
        assertEquals(1, lab.args()[5], "one label per row");
        assertEquals(2, rig.runner().launches.size());
    }

    @Test
    void badShapesAreNamed() {
        Tensor images = b.allocate(Shape.of(100, 1, 28, 28));
        Tensor order = b.allocate(Shape.of(100), DataType.INT32);
        IllegalArgumentException past = assertThrows(IllegalArgumentException.class,
                () -> b.gatherRows(images, order, 40, b.allocate(Shape.of(64, 1, 28, 28))));
        assertTrue(past.getMessage().contains("rows 40 .. 103 of the order are asked for; it has 100"), past.getMessage());
        IllegalArgumentException rows = assertThrows(IllegalArgumentException.class,
                () -> b.gatherRows(images, order, 0, b.allocate(Shape.of(8, 1, 28, 27))));
        assertTrue(rows.getMessage().contains("same row shape"), rows.getMessage());
        IllegalArgumentException type = assertThrows(IllegalArgumentException.class,
                () -> b.gatherRows(images, images, 0, b.allocate(Shape.of(8, 1, 28, 28))));
        assertTrue(type.getMessage().contains("order [100, 1, 28, 28] must be INT32"), type.getMessage());
        assertEquals(0, rig.runner().launches.size(), "nothing launched");
    }
}
