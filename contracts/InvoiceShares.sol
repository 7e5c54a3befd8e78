// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {IERC1155} from "@openzeppelin/contracts/token/ERC1155/IERC1155.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC1155MetadataURI} from "@openzeppelin/contracts/token/ERC1155/extensions/IERC1155MetadataURI.sol";
import {ERC1155Utils} from "@openzeppelin/contracts/token/ERC1155/utils/ERC1155Utils.sol";
import {IERC1155Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {IInvoiceShares} from "./interfaces/IInvoiceShares.sol";
import {IKycRegistry} from "./interfaces/IKycRegistry.sol";
import {IRepaymentDistributor} from "./interfaces/IRepaymentDistributor.sol";

/// @title InvoiceShares
/// @notice ERC-1155 investor shares of funded invoices (id = invoiceId, 1 share = 1 base unit of principal).
/// @dev A full ERC-1155 rather than OpenZeppelin's, because each position packs the holder's balance with the amount
///      it has withdrawn from the distributor (see IInvoiceShares). Receiver hooks use OpenZeppelin's ERC1155Utils
///      and run after all state is final.
contract InvoiceShares is
    IInvoiceShares,
    IERC1155,
    IERC1155MetadataURI,
    IERC1155Errors,
    AccessControl,
    Pausable,
    ReentrancyGuardTransient
{
    using Strings for uint256;

    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    uint8 private constant _INVESTOR = 2;

    IKycRegistry public immutable kyc;
    /// @inheritdoc IInvoiceShares
    address public immutable escrow;
    /// @inheritdoc IInvoiceShares
    address public immutable distributor;

    mapping(uint256 invoiceId => mapping(address holder => Position)) private _positions;
    mapping(uint256 invoiceId => uint256) private _totalSupply;
    mapping(address owner => mapping(address operator => bool)) private _operatorApprovals;
    string private _baseUri;

    constructor(address admin, IKycRegistry kycRegistry, address fundingEscrow, address repaymentDistributor) {
        require(
            fundingEscrow != address(0) && repaymentDistributor != address(0) && address(kycRegistry) != address(0),
            ZeroAddress()
        );
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        kyc = kycRegistry;
        escrow = fundingEscrow;
        distributor = repaymentDistributor;
    }

    // ---------------------------------------------------------------- module entry points

    /// @inheritdoc IInvoiceShares
    function mint(address to, uint256 invoiceId, uint128 amount) external {
        require(msg.sender == escrow, NotEscrow(msg.sender));
        require(to != address(0), ERC1155InvalidReceiver(address(0)));
        // Shares are minted only while an invoice is Listed, when nothing has been distributed yet, so the new
        // holder needs no distributor checkpoint. Checked arithmetic: a balance above 2^128 reverts.
        _positions[invoiceId][to].balance += amount;
        _totalSupply[invoiceId] += amount;
        emit TransferSingle(msg.sender, address(0), to, invoiceId, amount);
        ERC1155Utils.checkOnERC1155Received(msg.sender, address(0), to, invoiceId, amount, "");
    }

    /// @inheritdoc IInvoiceShares
    function burnAll(address from, uint256 invoiceId) external returns (uint128 amount) {
        require(msg.sender == escrow, NotEscrow(msg.sender));
        Position storage p = _positions[invoiceId][from];
        amount = p.balance;
        p.balance = 0;
        // unchecked: `amount` is part of the supply, which is the sum of all balances.
        unchecked {
            _totalSupply[invoiceId] -= amount;
        }
        emit TransferSingle(msg.sender, from, address(0), invoiceId, amount);
    }

    /// @inheritdoc IInvoiceShares
    function setWithdrawn(uint256 invoiceId, address holder, uint128 withdrawn) external {
        require(msg.sender == distributor, NotDistributor(msg.sender));
        _positions[invoiceId][holder].withdrawn = withdrawn;
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IInvoiceShares
    function positionOf(uint256 invoiceId, address holder) external view returns (Position memory) {
        return _positions[invoiceId][holder];
    }

    /// @inheritdoc IInvoiceShares
    function totalSupply(uint256 invoiceId) external view returns (uint256) {
        return _totalSupply[invoiceId];
    }

    function balanceOf(address account, uint256 id) public view returns (uint256) {
        return _positions[id][account].balance;
    }

    function balanceOfBatch(address[] calldata accounts, uint256[] calldata ids)
        external
        view
        returns (uint256[] memory balances)
    {
        require(accounts.length == ids.length, ERC1155InvalidArrayLength(ids.length, accounts.length));
        balances = new uint256[](accounts.length);
        for (uint256 i; i < accounts.length; ++i) {
            balances[i] = _positions[ids[i]][accounts[i]].balance;
        }
    }

    function isApprovedForAll(address account, address operator) public view returns (bool) {
        return _operatorApprovals[account][operator];
    }

    /// @notice Metadata URI of `id`: the base URI set by the admin followed by the id, or empty.
    function uri(uint256 id) external view returns (string memory) {
        return bytes(_baseUri).length == 0 ? "" : string.concat(_baseUri, id.toString());
    }

    function supportsInterface(bytes4 interfaceId) public view override(AccessControl, IERC165) returns (bool) {
        return interfaceId == type(IERC1155).interfaceId || interfaceId == type(IERC1155MetadataURI).interfaceId
            || super.supportsInterface(interfaceId);
    }

    // ---------------------------------------------------------------- ERC-1155 transfers

    function setApprovalForAll(address operator, bool approved) external whenNotPaused {
        require(operator != address(0), ERC1155InvalidOperator(address(0)));
        _operatorApprovals[msg.sender][operator] = approved;
        emit ApprovalForAll(msg.sender, operator, approved);
    }

    function safeTransferFrom(address from, address to, uint256 id, uint256 value, bytes calldata data)
        external
        whenNotPaused
        nonReentrant
    {
        _checkTransfer(from, to);
        _move(from, to, id, value);
        emit TransferSingle(msg.sender, from, to, id, value);
        IRepaymentDistributor(distributor).onSharesTransferred(id, from, to, value);
        ERC1155Utils.checkOnERC1155Received(msg.sender, from, to, id, value, data);
    }

    function safeBatchTransferFrom(
        address from,
        address to,
        uint256[] calldata ids,
        uint256[] calldata values,
        bytes calldata data
    ) external whenNotPaused nonReentrant {
        require(ids.length == values.length, ERC1155InvalidArrayLength(ids.length, values.length));
        _checkTransfer(from, to);
        for (uint256 i = 0; i < ids.length; ++i) {
            _move(from, to, ids[i], values[i]);
        }
        emit TransferBatch(msg.sender, from, to, ids, values);
        for (uint256 i = 0; i < ids.length; ++i) {
            IRepaymentDistributor(distributor).onSharesTransferred(ids[i], from, to, values[i]);
        }
        ERC1155Utils.checkOnERC1155BatchReceived(msg.sender, from, to, ids, values, data);
    }

    // ---------------------------------------------------------------- admin

    function setBaseUri(string calldata baseUri) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _baseUri = baseUri;
    }

    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    // ---------------------------------------------------------------- internals

    function _checkTransfer(address from, address to) private view {
        require(from != address(0), ERC1155InvalidSender(address(0)));
        require(to != address(0), ERC1155InvalidReceiver(address(0)));
        require(
            from == msg.sender || _operatorApprovals[from][msg.sender], ERC1155MissingApprovalForAll(msg.sender, from)
        );
        // Shares move only between KYC'd investors.
        require(kyc.isAllowed(from, _INVESTOR), NotKycApproved(from, _INVESTOR));
        require(kyc.isAllowed(to, _INVESTOR), NotKycApproved(to, _INVESTOR));
    }

    /// @dev Moves balances only. Callers then checkpoint the distributor with the moved amount (the checkpoint
    ///      depends on the amount, not on balances), so claimable value follows the holders exactly.
    function _move(address from, address to, uint256 id, uint256 value) private {
        Position storage src = _positions[id][from];
        uint128 balance = src.balance;
        require(balance >= value, ERC1155InsufficientBalance(from, balance, value, id));
        // unchecked: value <= balance (checked above), and `to` cannot exceed the supply, itself a uint128 sum.
        unchecked {
            src.balance = balance - uint128(value);
            _positions[id][to].balance += uint128(value);
        }
    }
}
