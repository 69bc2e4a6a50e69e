# PyTorch torch.optim.AdamW on 5 values for 3 steps; its printed values are the expected ones in AdamWTest.
import torch
torch.manual_seed(0)
p = torch.tensor([0.5, -0.25, 0.0, 1.5, -2.0], dtype=torch.float64, requires_grad=True)
opt = torch.optim.AdamW([p], lr=0.01, betas=(0.9, 0.99), eps=1e-6, weight_decay=0.1)
grads = [[0.1, -0.2, 0.3, 0.0, 1.0], [-0.5, 0.25, 0.1, 0.2, -1.0], [0.05, 0.05, -0.3, 0.4, 0.5]]
for g in grads:
    p.grad = torch.tensor(g, dtype=torch.float64)
    opt.step()
    print(" ".join(f"{v:.9g}" for v in p.tolist()))
