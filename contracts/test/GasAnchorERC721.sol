// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

/// @title GasAnchorERC721
/// @notice Gas anchor for benchmarks only: a bare OpenZeppelin 5.x ERC-721 whose `mint` is `_mint` and nothing else,
///         so the gas benchmark can put InvoiceToken.mint beside the cost of a plain ERC-721 mint. Never deployed by
///         the system.
contract GasAnchorERC721 is ERC721 {
    constructor() ERC721("Gas Anchor ERC721", "GA721") {}

    /// @notice Mints `tokenId` to `to`. Open to anyone: this contract exists only to be measured.
    function mint(address to, uint256 tokenId) external {
        _mint(to, tokenId);
    }
}
