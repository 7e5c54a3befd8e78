// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";

/// @title GasAnchorVault
/// @notice Gas anchor for benchmarks only: a bare OpenZeppelin 5.x ERC-4626 vault over an ERC-20 (the benchmark uses
///         MockStablecoin), so the gas benchmark can put FundingEscrow.fund beside a plain vault deposit. Never
///         deployed by the system.
contract GasAnchorVault is ERC4626 {
    constructor(IERC20 asset_) ERC20("Gas Anchor Vault", "GAV") ERC4626(asset_) {}
}
