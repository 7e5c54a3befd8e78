// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";

/// @title GasAnchorERC1155
/// @notice Gas anchor for benchmarks only: a bare OpenZeppelin 5.x ERC-1155 whose `mint` is `_mint` and nothing else,
///         so the gas benchmark can put the InvoiceShares mint inside FundingEscrow.fund beside a plain ERC-1155 mint.
///         Never deployed by the system.
contract GasAnchorERC1155 is ERC1155 {
    constructor() ERC1155("") {}

    /// @notice Mints `amount` of `id` to `to`. Open to anyone: this contract exists only to be measured.
    function mint(address to, uint256 id, uint256 amount) external {
        _mint(to, id, amount, "");
    }
}
