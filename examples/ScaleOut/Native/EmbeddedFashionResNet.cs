using TypedNets;

namespace FashionMnist;

// examples/FashionMnist's ResNet (Networks.cs, linked) with the weights PyTorch trained compiled in. The generator reads
// the file when this project compiles and compares every tensor with the declaration (names, F32, shapes, nothing
// missing or extra but PyTorch's num_batches_tracked): weights from a module of another shape fail the build with
// TN0032 naming the tensor and both shapes. `new FashionResNet()` then starts from them without reading a file.
[EmbeddedWeights("FashionResNet.safetensors.b64")]
public partial class FashionResNet
{
}
